import { useEffect, useRef, useState } from "react";
import type { AdminOrder } from "../lib/adminTypes";
import { api, errorText } from "../lib/api";
import { formatPrice } from "../lib/money";
import { formatDateTime } from "../lib/storeTime";

/** One past order: its lines and who moved it when. */
export function OrderDetail({ id, token, timeZone, onClose }: { id: number; token: string; timeZone: string; onClose(): void }) {
  const [order, setOrder] = useState<AdminOrder | null>(null);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const ctl = new AbortController();
    api<AdminOrder>(`/api/v1/admin/orders/${id}`, { token, signal: ctl.signal })
      .then(setOrder)
      .catch((err) => !ctl.signal.aborted && setError(errorText(err)));
    return () => ctl.abort();
  }, [id, token]);

  useEffect(() => heading.current?.focus(), [order]);

  return (
    <section className="card order-detail" aria-labelledby="order-detail-h">
      <h3 id="order-detail-h" tabIndex={-1} ref={heading}>{order ? `Order #${order.number}` : "Order"}</h3>
      {error && <p className="error" role="alert">{error}</p>}
      {!order && !error && <p role="status">Loading the order…</p>}
      {order && (
        <>
          <p>
            {order.customer.name} · {order.fulfillment === "dine_in" ? `Table ${order.table ?? "?"}` : "Pickup"} · placed{" "}
            <time dateTime={order.created_at}>{formatDateTime(order.created_at, timeZone)}</time>
          </p>
          <ul className="ticket-lines">
            {order.items.map((line, i) => (
              <li key={i}>
                {line.quantity} × {line.name}
                {line.modifiers.length > 0 && <span className="muted"> — {line.modifiers.map((m) => m.name).join(", ")}</span>}
                <span className="num"> {formatPrice(line.total, order.currency)}</span>
                {line.note && <div className="note">“{line.note}”</div>}
              </li>
            ))}
          </ul>
          {order.note && <p className="note">“{order.note}”</p>}
          <p className="total"><span>Total</span> <strong>{formatPrice(order.total, order.currency)}</strong></p>
          <h4>Status history</h4>
          <ol className="status-history">
            {order.status_history.map((h, i) => (
              <li key={i}>
                <span className="cap">{h.status}</span> · <time dateTime={h.at}>{formatDateTime(h.at, timeZone)}</time>
                {h.by ? <span className="muted"> by {h.by.email}</span> : <span className="muted"> (customer or system)</span>}
              </li>
            ))}
          </ol>
        </>
      )}
      <button type="button" onClick={onClose}>Close</button>
    </section>
  );
}
