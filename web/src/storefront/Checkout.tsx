import { useId, useState } from "react";
import { ApiError, api, errorText } from "../lib/api";
import { type Cart, orderItems } from "../lib/cart";
import { checkoutDone, checkoutKey, isRetryable } from "../lib/idempotency";
import type { CreatedOrder, Fulfillment, NewOrder } from "../lib/types";

interface Props {
  cart: Cart;
  isOpen: boolean;
  onPlaced(order: CreatedOrder): void;
  /** The server refused with `store_closed`: the store object is out of date. */
  onClosed?(): void;
}

const AUTO_RETRIES = 2;

/** Name, pickup or table, note; sends the order with an Idempotency-Key kept across retries. */
export function Checkout({ cart, isOpen, onPlaced, onClosed }: Props) {
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [fulfillment, setFulfillment] = useState<Fulfillment>("pickup");
  const [table, setTable] = useState("");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (!name.trim()) {
      setError("Please tell us your name, so we can call you when it is ready.");
      return;
    }
    if (fulfillment === "dine_in" && !table.trim()) {
      setError("Please give your table number.");
      return;
    }
    const body: NewOrder = {
      items: orderItems(cart),
      customer: phone.trim() ? { name: name.trim(), phone: phone.trim() } : { name: name.trim() },
      fulfillment,
      ...(fulfillment === "dine_in" ? { table: table.trim() } : {}),
      ...(note.trim() ? { note: note.trim() } : {}),
    };
    // the same body always goes with the same key: a retry (here, after a reload,
    // or a second click) can only ever return the one order
    const key = checkoutKey(sessionStorage, body);
    setBusy(true);
    setError(null);
    for (let attempt = 0; ; attempt++) {
      try {
        const order = await api<CreatedOrder>("/api/v1/store/orders", { method: "POST", body, headers: { "idempotency-key": key } });
        checkoutDone(sessionStorage);
        setBusy(false);
        onPlaced(order);
        return;
      } catch (err) {
        const status = err instanceof ApiError ? err.status : null;
        if (isRetryable(status) && attempt < AUTO_RETRIES) {
          await new Promise((r) => setTimeout(r, 800 * (attempt + 1)));
          continue;
        }
        setError(errorText(err));
        setBusy(false);
        if (err instanceof ApiError && err.code === "store_closed") onClosed?.();
        return;
      }
    }
  }

  // closed: no checkout at all (the details typed so far stay for the reopening)
  if (!isOpen) {
    return (
      <div className="checkout closed" data-testid="checkout-closed">
        {error && <p className="error" role="alert">{error}</p>}
        <p className="closed-note"><strong>Closed now.</strong> Ordering is off until the restaurant opens again; your order stays here.</p>
      </div>
    );
  }

  return (
    <form className="checkout" onSubmit={submit} aria-labelledby={`${id}-h`} noValidate>
      <h3 id={`${id}-h`}>Your details</h3>
      <label>
        Name
        <input name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
      </label>
      <label>
        Phone <span className="muted">(optional)</span>
        <input name="phone" type="tel" autoComplete="tel" value={phone} onChange={(e) => setPhone(e.target.value)} maxLength={30} />
      </label>
      <fieldset className="inline">
        <legend>How would you like it?</legend>
        <label className="choice">
          <input type="radio" name="fulfillment" checked={fulfillment === "pickup"} onChange={() => setFulfillment("pickup")} /> Pick up
        </label>
        <label className="choice">
          <input type="radio" name="fulfillment" checked={fulfillment === "dine_in"} onChange={() => setFulfillment("dine_in")} /> Eat in
        </label>
      </fieldset>
      {fulfillment === "dine_in" && (
        <label>
          Table
          <input name="table" value={table} onChange={(e) => setTable(e.target.value)} maxLength={20} required />
        </label>
      )}
      <label>
        Note for the kitchen <span className="muted">(optional)</span>
        <textarea name="note" rows={2} value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} />
      </label>
      {error && <p className="error" role="alert">{error}</p>}
      <button type="submit" className="primary wide" disabled={busy || cart.length === 0}>
        {busy ? "Sending your order…" : "Place order"}
      </button>
    </form>
  );
}
