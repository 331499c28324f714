import { useCallback, useEffect, useRef, useState } from "react";
import type { HistoryOrder, HistoryPage as Page } from "../lib/adminTypes";
import { api, errorText } from "../lib/api";
import { formatPrice } from "../lib/money";
import { addDays, formatDateTime, todayInZone } from "../lib/storeTime";
import type { Store } from "../lib/types";
import { OrderDetail } from "./OrderDetail";

const PAGE_SIZE = 25;
const STATUSES = ["received", "accepted", "preparing", "ready", "completed", "cancelled"];

interface Filters {
  q: string;
  from: string;
  to: string;
  status: string;
}

function query(f: Filters, cursor: string | null): string {
  const p = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (f.q.trim()) p.set("q", f.q.trim());
  if (f.from) p.set("from", f.from);
  if (f.to) p.set("to", f.to);
  if (f.status) p.set("status", f.status);
  if (cursor) p.set("cursor", cursor);
  return p.toString();
}

/** Past orders: search by number or customer and dates (the store's), page by cursor, open one. */
export function HistoryPage({ store, token }: { store: Store; token: string }) {
  const today = todayInZone(store.timezone);
  const [draft, setDraft] = useState<Filters>({ q: "", from: addDays(today, -30), to: today, status: "" });
  const [filters, setFilters] = useState<Filters>(draft);
  const [orders, setOrders] = useState<HistoryOrder[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const ticket = useRef(0);

  const fetchPage = useCallback(
    async (f: Filters, after: string | null) => {
      const mine = ++ticket.current;
      setLoading(true);
      setError(null);
      try {
        const page = await api<Page>(`/api/v1/admin/orders/history?${query(f, after)}`, { token });
        if (mine !== ticket.current) return;
        setOrders((cur) => (after ? [...cur, ...page.orders] : page.orders));
        setCursor(page.next_cursor);
      } catch (err) {
        if (mine === ticket.current) setError(errorText(err));
      } finally {
        if (mine === ticket.current) setLoading(false);
      }
    },
    [token],
  );

  useEffect(() => void fetchPage(filters, null), [filters, fetchPage]);

  const field = (k: keyof Filters) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setDraft((d) => ({ ...d, [k]: e.target.value }));

  return (
    <main className="page history-page">
      <h2>Order history</h2>
      <form
        className="inline-form card filters"
        role="search"
        aria-label="Search orders"
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.from && draft.to && draft.from > draft.to) return setError("The start date must be on or before the end date.");
          setOpen(null);
          setFilters({ ...draft });
        }}
      >
        <label>
          Number or customer
          <input type="search" value={draft.q} onChange={field("q")} placeholder="42 or Ada" />
        </label>
        <label>
          From
          <input type="date" value={draft.from} max={today} onChange={field("from")} />
        </label>
        <label>
          To
          <input type="date" value={draft.to} max={today} onChange={field("to")} />
        </label>
        <label>
          Status
          <select value={draft.status} onChange={field("status")}>
            <option value="">Any</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <button type="submit" className="primary">Search</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="history-layout">
        <section aria-labelledby="results-h">
          <h3 id="results-h" className="sr-only">Orders found</h3>
          <p role="status" className="muted small">{loading ? "Loading orders…" : `${orders.length}${cursor ? "+" : ""} order${orders.length === 1 ? "" : "s"}`}</p>
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Placed</th>
                <th scope="col">Customer</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">Total</th>
              </tr>
            </thead>
            <tbody>
              {orders.map((o) => (
                <tr key={o.id} aria-selected={open === o.id} data-order-id={o.id}>
                  <td>
                    <button type="button" className="link" onClick={() => setOpen(o.id)}>
                      #{o.number}<span className="sr-only"> (open the order of {o.business_date})</span>
                    </button>
                  </td>
                  <td><time dateTime={o.created_at}>{formatDateTime(o.created_at, store.timezone)}</time></td>
                  <td>{o.customer_name}</td>
                  <td className="cap">{o.status}</td>
                  <td className="num">{formatPrice(o.total, o.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {!loading && orders.length === 0 && !error && <p className="muted">No orders match.</p>}
          {cursor && (
            <button type="button" onClick={() => void fetchPage(filters, cursor)} disabled={loading}>
              {loading ? "Loading…" : "Load more"}
            </button>
          )}
        </section>
        {open !== null && <OrderDetail key={open} id={open} token={token} timeZone={store.timezone} onClose={() => setOpen(null)} />}
      </div>
    </main>
  );
}
