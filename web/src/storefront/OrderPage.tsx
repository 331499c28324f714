import { useCallback, useEffect, useState } from "react";
import { api, errorText } from "../lib/api";
import { STATUS_TEXT } from "../lib/lifecycle";
import { formatPrice } from "../lib/money";
import { formatTime } from "../lib/storeTime";
import type { OrderEventData, OrderOut, OrderStatus, Store } from "../lib/types";
import { linkHandler } from "../router";
import { useChannel, useRealtimeClient } from "../useRealtime";
import { orderToken } from "./orders";

const STEPS: OrderStatus[] = ["received", "accepted", "preparing", "ready", "completed"];

/** The customer's order, following `order:{id}` live; refetched whenever events may be missing. */
export function OrderPage({ store, orderId }: { store: Store; orderId: number }) {
  const token = orderToken(orderId);
  const { client, state } = useRealtimeClient(token ? store.realtime_url : undefined);
  const [order, setOrder] = useState<OrderOut | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refetch = useCallback(() => {
    if (!token) return;
    api<OrderOut>(`/api/v1/store/orders/${orderId}`, { token })
      .then((o) => {
        setOrder((cur) => (cur && Date.parse(cur.updated_at) > Date.parse(o.updated_at) ? cur : o));
        setError(null);
      })
      .catch((err) => setError(errorText(err)));
  }, [orderId, token]);

  useEffect(refetch, [refetch]);

  useChannel(client, token ? `order:${orderId}` : null, token ?? undefined, {
    onEvent: (e) => {
      const data = e.data as Partial<OrderEventData>;
      if (e.type !== "order.updated" && e.type !== "order.created") return;
      setOrder((cur) => {
        if (!cur) return cur;
        if (data.updated_at && Date.parse(cur.updated_at) > Date.parse(data.updated_at)) return cur;
        return { ...cur, status: data.status ?? cur.status, updated_at: data.updated_at ?? cur.updated_at, total: data.total ?? cur.total };
      });
    },
    // the first subscription (the status may have moved since the first load), or a
    // resume that could not replay what was missed (`recovered: false`): refetch
    onSubscribed: (recovered) => {
      if (!recovered) refetch();
    },
    onError: (code) => {
      if (code === "invalid_token") setError("This order's link has expired; the status shown may be out of date.");
    },
  });

  if (!token) {
    return (
      <main className="page narrow">
        <h1>{store.name}</h1>
        <p className="error" role="alert">This order was placed in another browser, so it cannot be shown here.</p>
        <a href="/" onClick={linkHandler("/")}>Back to the menu</a>
      </main>
    );
  }

  const step = order ? STEPS.indexOf(order.status) : -1;
  return (
    <main className="page narrow order-page">
      <p><a href="/" onClick={linkHandler("/")}>← {store.name}</a></p>
      {error && <p className="error" role="alert">{error}</p>}
      {!order && !error && <p role="status">Loading your order…</p>}
      {order && (
        <>
          <h1>Order #{order.number}</h1>
          <p className={`status status-${order.status}`} role="status" aria-live="polite" data-testid="order-status" data-status={order.status}>
            {STATUS_TEXT[order.status]}
          </p>
          {order.status === "ready" && <p className="banner on">Your order is ready{order.fulfillment === "pickup" ? " to pick up at the counter" : ""}.</p>}
          {order.status !== "cancelled" && (
            <ol className="steps" aria-label="Progress">
              {STEPS.map((s, i) => (
                <li key={s} className={i < step ? "done" : i === step ? "current" : ""} aria-current={i === step ? "step" : undefined}>
                  {STATUS_TEXT[s].split(" — ")[0]}
                </li>
              ))}
            </ol>
          )}
          <ul className="lines">
            {order.items.map((line, i) => (
              <li key={i}>
                <div>
                  <strong>{line.quantity} × {line.name}</strong>
                  {line.modifiers.length > 0 && (
                    <div className="muted small">{line.modifiers.map((m) => m.name).join(", ")}</div>
                  )}
                </div>
                <span className="price">{formatPrice(line.total, order.currency)}</span>
              </li>
            ))}
          </ul>
          <p className="total"><span>Total</span> <strong>{formatPrice(order.total, order.currency)}</strong></p>
          <p className="muted small">
            {order.fulfillment === "dine_in" ? `Table ${order.table ?? ""}` : "Pick up"} · placed {formatTime(order.created_at, store.timezone)}
            {state !== "open" && " · reconnecting for live updates…"}
          </p>
        </>
      )}
    </main>
  );
}
