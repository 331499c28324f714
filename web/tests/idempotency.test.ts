import { describe, expect, it } from "vitest";
import { checkoutDone, checkoutKey, isRetryable, type KeyStore } from "../src/lib/idempotency";

function memory(): KeyStore {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
}

describe("idempotency key", () => {
  let n = 0;
  const make = () => `k${++n}`;

  it("keeps the key across retries of the same body", () => {
    const store = memory();
    const body = { items: [{ item_id: 1, quantity: 1, modifiers: [] }] };
    const first = checkoutKey(store, body, make);
    expect(checkoutKey(store, JSON.parse(JSON.stringify(body)), make)).toBe(first);
  });

  it("takes a new key when the body changes or after the order was placed", () => {
    const store = memory();
    const a = checkoutKey(store, { x: 1 }, make);
    const b = checkoutKey(store, { x: 2 }, make);
    expect(b).not.toBe(a);
    checkoutDone(store);
    expect(checkoutKey(store, { x: 2 }, make)).not.toBe(b);
  });

  it("replaces a corrupt stored slot", () => {
    const store = memory();
    store.setItem("stelly.checkout", "{not json");
    expect(checkoutKey(store, {}, make)).toMatch(/^k\d+$/);
  });

  it("retries network errors, 429 and 5xx, never other 4xx", () => {
    expect(isRetryable(null)).toBe(true);
    expect(isRetryable(503)).toBe(true);
    expect(isRetryable(429)).toBe(true);
    expect(isRetryable(422)).toBe(false);
    expect(isRetryable(409)).toBe(false);
  });
});
