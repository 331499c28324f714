// The customer's order tokens, kept in this browser so the order page survives a reload.
import type { CreatedOrder } from "../lib/types";

const slot = (id: number) => `stelly.order.${id}`;

export function rememberOrder(order: CreatedOrder): void {
  if (!order.token) return;
  try {
    localStorage.setItem(slot(order.id), order.token);
  } catch {
    sessionStorage.setItem(slot(order.id), order.token);
  }
}

export function orderToken(id: number): string | null {
  try {
    return localStorage.getItem(slot(id)) ?? sessionStorage.getItem(slot(id));
  } catch {
    return null;
  }
}
