// One Idempotency-Key per checkout: kept across retries of the same order body
// (a timeout, a reload, a double click), replaced only when the body changes or
// after the order was placed. A retry never makes a second order.

export interface PendingCheckout {
  key: string;
  body: string;
}

export interface KeyStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const SLOT = "stelly.checkout";

function newKey(): string {
  if (typeof crypto !== "undefined" && "randomUUID" in crypto) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** The key to send with this body: the pending one when the body is the same, else a new one. */
export function checkoutKey(store: KeyStore, body: unknown, make: () => string = newKey): string {
  const text = JSON.stringify(body);
  const raw = store.getItem(SLOT);
  if (raw) {
    try {
      const pending = JSON.parse(raw) as PendingCheckout;
      if (pending.body === text && pending.key) return pending.key;
    } catch {
      // a corrupt slot is replaced below
    }
  }
  const key = make();
  store.setItem(SLOT, JSON.stringify({ key, body: text } satisfies PendingCheckout));
  return key;
}

/** Forget the pending key once the order exists (the next checkout is a new order). */
export function checkoutDone(store: KeyStore): void {
  store.removeItem(SLOT);
}

/** Whether a failed POST may be retried with the same key (network error, 5xx, 429). */
export function isRetryable(status: number | null): boolean {
  return status === null || status === 429 || status >= 500;
}
