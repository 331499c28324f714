// The order lifecycle as the kitchen board shows it (SPEC §3 Staff).
import type { Order, OrderStatus } from "./types";

export const BOARD_COLUMNS: { status: OrderStatus; title: string }[] = [
  { status: "received", title: "New" },
  { status: "accepted", title: "Accepted" },
  { status: "preparing", title: "Preparing" },
  { status: "ready", title: "Ready" },
];

export const ACTIVE_STATUSES: OrderStatus[] = BOARD_COLUMNS.map((c) => c.status);

export interface OrderAction {
  to: OrderStatus;
  label: string;
  danger?: boolean;
}

const NEXT: Record<OrderStatus, OrderAction[]> = {
  received: [
    { to: "accepted", label: "Accept" },
    { to: "cancelled", label: "Cancel", danger: true },
  ],
  accepted: [
    { to: "preparing", label: "Start preparing" },
    { to: "cancelled", label: "Cancel", danger: true },
  ],
  preparing: [{ to: "ready", label: "Mark ready" }],
  ready: [{ to: "completed", label: "Complete" }],
  completed: [],
  cancelled: [],
};

export function actionsFor(status: OrderStatus): OrderAction[] {
  return NEXT[status] ?? [];
}

export const STATUS_TEXT: Record<OrderStatus, string> = {
  received: "Received — waiting for the kitchen",
  accepted: "Accepted",
  preparing: "Being prepared",
  ready: "Ready",
  completed: "Completed",
  cancelled: "Cancelled",
};

/** Merge an order (from REST or an event) into the board: the newer `updated_at` wins. */
export function mergeOrder(board: Order[], incoming: Order): Order[] {
  const i = board.findIndex((o) => o.id === incoming.id);
  if (i === -1) return [...board, incoming];
  const current = board[i];
  if (Date.parse(current.updated_at) > Date.parse(incoming.updated_at)) return board;
  const next = board.slice();
  next[i] = { ...current, ...incoming };
  return next;
}

/** Orders of one column, oldest first (the kitchen works first-in first-out). */
export function column(board: Order[], status: OrderStatus): Order[] {
  return board
    .filter((o) => o.status === status)
    .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
}

export function customerName(order: Order): string {
  return "customer" in order ? order.customer.name : order.customer_name;
}
