import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorText } from "../lib/api";
import { ACTIVE_STATUSES, actionsFor, BOARD_COLUMNS, column, customerName, mergeOrder } from "../lib/lifecycle";
import { formatPrice } from "../lib/money";
import { formatTime } from "../lib/storeTime";
import type { Order, OrderEventData, OrderOut, OrderStatus, Store } from "../lib/types";
import { chime, unlockAudio } from "../sound";
import { useChannel, useRealtimeClient } from "../useRealtime";

const FRESH_MS = 15_000;

/** Live orders in columns by status, with the lifecycle actions. */
export function KitchenBoard({ store, token }: { store: Store; token: string }) {
  const { client, state } = useRealtimeClient(store.realtime_url);
  const [orders, setOrders] = useState<Order[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fresh, setFresh] = useState<Record<number, number>>({});
  const [announce, setAnnounce] = useState("");
  const [sound, setSound] = useState(true);
  const [busy, setBusy] = useState<number | null>(null);
  const soundRef = useRef(sound);
  soundRef.current = sound;

  const loadedRef = useRef(false);
  const knownRef = useRef(new Set<number>());

  /** A new order reached the board: highlight it, say it, and chime. */
  const cue = useCallback((order: Order) => {
    setFresh((f) => ({ ...f, [order.id]: Date.now() }));
    setAnnounce(`New order #${order.number} from ${customerName(order)}`);
    if (soundRef.current) chime();
  }, []);

  const refetch = useCallback(() => {
    api<OrderOut[]>(`/api/v1/admin/orders?status=${ACTIVE_STATUSES.join(",")}`, { token })
      .then((list) => {
        // orders that arrived while we could not hear them still get the cue
        if (loadedRef.current) {
          for (const o of list) if (o.status === "received" && !knownRef.current.has(o.id)) cue(o);
        }
        for (const o of list) knownRef.current.add(o.id);
        loadedRef.current = true;
        setOrders((cur) => {
          // keep anything an event brought in newer than this answer
          let next: Order[] = list;
          for (const o of cur) next = mergeOrder(next, o);
          const active = new Set(list.map((o) => o.id));
          return next.filter((o) => active.has(o.id) || ACTIVE_STATUSES.includes(o.status));
        });
        setLoaded(true);
        setError(null);
      })
      .catch((err) => setError(errorText(err)));
  }, [token, cue]);

  // the board loads over REST even while the live connection is not up
  useEffect(refetch, [refetch]);

  useChannel(client, "kitchen", token, {
    onEvent: (e) => {
      if (e.type !== "order.created" && e.type !== "order.updated") return;
      const order = e.data as OrderEventData;
      setOrders((cur) => mergeOrder(cur, order));
      if (e.type === "order.created" && !knownRef.current.has(order.id)) {
        knownRef.current.add(order.id);
        cue(order);
      }
    },
    // first subscription (closes the gap since the first load), or a resume that
    // could not replay what was missed: load over REST
    onSubscribed: (recovered) => {
      if (!recovered) refetch();
    },
    onError: (code) => setError(code === "invalid_token" || code === "token_required" ? "Your session has ended. Please log in again." : `Live updates: ${code.replace(/_/g, " ")}`),
  });

  // fade the "new" highlight and keep the tab title counting new orders
  useEffect(() => {
    const n = Object.keys(fresh).length;
    document.title = n ? `(${n}) New orders — ${store.name}` : `Kitchen — ${store.name}`;
    if (!n) return;
    const t = setTimeout(() => {
      const now = Date.now();
      setFresh((f) => Object.fromEntries(Object.entries(f).filter(([, at]) => now - at < FRESH_MS)));
    }, 1000);
    return () => clearTimeout(t);
  }, [fresh, store.name]);

  async function move(order: Order, to: OrderStatus) {
    setBusy(order.id);
    setError(null);
    try {
      const updated = await api<OrderOut>(`/api/v1/admin/orders/${order.id}`, { method: "PATCH", token, body: { status: to } });
      setOrders((cur) => mergeOrder(cur, updated));
      setFresh((f) => {
        const { [order.id]: _, ...rest } = f;
        return rest;
      });
    } catch (err) {
      setError(errorText(err));
      refetch();
    } finally {
      setBusy(null);
    }
  }

  return (
    <main className="board-page">
      <div className="board-bar">
        <span className={`live ${state}`} role="status">{state === "open" ? "● Live" : "○ Reconnecting…"}</span>
        <label className="switch">
          <input type="checkbox" checked={sound} onChange={(e) => { setSound(e.target.checked); unlockAudio(); }} /> Sound on new orders
        </label>
      </div>
      <p className="sr-only" role="status" aria-live="assertive">{announce}</p>
      {Object.keys(fresh).length > 0 && <p className="banner new-order" aria-hidden="true">{announce}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      {!loaded && !error && <p role="status">Loading orders…</p>}
      <div className="board">
        {BOARD_COLUMNS.map(({ status, title }) => {
          const list = column(orders, status);
          return (
            <section key={status} className="column" aria-labelledby={`col-${status}`} data-status={status}>
              <h2 id={`col-${status}`}>{title} <span className="count">{list.length}</span></h2>
              <ul>
                {list.map((o) => (
                  <li key={o.id} className={`ticket${fresh[o.id] ? " fresh" : ""}`} data-order-id={o.id} aria-label={`Order ${o.number}`}>
                    <header>
                      <strong>#{o.number}</strong> <span>{customerName(o)}</span>
                      <span className="muted small">{o.fulfillment === "dine_in" ? `Table ${o.table ?? "?"}` : "Pickup"} · <time dateTime={o.created_at}>{formatTime(o.created_at, store.timezone)}</time></span>
                    </header>
                    <ul className="ticket-lines">
                      {o.items.map((line, i) => (
                        <li key={i}>
                          {line.quantity} × {line.name}
                          {line.modifiers.length > 0 && <span className="muted"> — {line.modifiers.map((m) => (typeof m === "string" ? m : m.name)).join(", ")}</span>}
                          {line.note && <div className="note">“{line.note}”</div>}
                        </li>
                      ))}
                    </ul>
                    {o.note && <p className="note">“{o.note}”</p>}
                    <footer>
                      <span className="muted small">{formatPrice(o.total, o.currency)}</span>
                      {actionsFor(o.status).map((a) => (
                        <button key={a.to} type="button" className={a.danger ? "danger" : "primary"} disabled={busy === o.id} onClick={() => void move(o, a.to)} aria-label={`${a.label} order ${o.number}`}>
                          {a.label}
                        </button>
                      ))}
                    </footer>
                  </li>
                ))}
              </ul>
              {list.length === 0 && <p className="muted small empty">None</p>}
            </section>
          );
        })}
      </div>
    </main>
  );
}
