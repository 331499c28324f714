import { describe, expect, it } from "vitest";
import { compareOffsets, isAbruptClose, OffsetBook, reconnectDelay, resolveRealtimeUrl } from "../src/lib/offsets";

describe("offsets", () => {
  it("compares stream ids numerically", () => {
    expect(compareOffsets("1700000000000-2", "1700000000000-10")).toBe(-1);
    expect(compareOffsets("999-0", "1000-0")).toBe(-1);
    expect(compareOffsets("5-1", "5-1")).toBe(0);
    expect(compareOffsets("6-0", "5-9")).toBe(1);
  });

  it("remembers the last offset and refuses replays", () => {
    const book = new OffsetBook();
    book.subscribed("kitchen", "10-0", false);
    expect(book.accept("kitchen", "11-0")).toBe(true);
    expect(book.accept("kitchen", "11-0")).toBe(false);
    expect(book.accept("kitchen", "10-5")).toBe(false);
    expect(book.get("kitchen")).toBe("11-0");
    // recovered: the replay (offsets up to the top) advances the position
    book.subscribed("kitchen", "15-0", true);
    expect(book.get("kitchen")).toBe("11-0");
    expect(book.accept("kitchen", "12-0")).toBe(true);
    // not recovered: start again from the top
    book.subscribed("kitchen", "20-0", false);
    expect(book.get("kitchen")).toBe("20-0");
    book.forget("kitchen");
    expect(book.get("kitchen")).toBeUndefined();
  });

  it("backs off with full jitter: uniform from 0 to an exponential ceiling, capped", () => {
    expect(reconnectDelay(0, () => 0)).toBe(0);
    expect(reconnectDelay(0, () => 0.5)).toBe(500);
    expect(reconnectDelay(0, () => 0.999999)).toBe(999);
    expect(reconnectDelay(1, () => 0.999999)).toBe(1999);
    expect(reconnectDelay(3, () => 0.5)).toBe(4000);
    expect(reconnectDelay(5, () => 0.999999)).toBe(14999);
    expect(reconnectDelay(50, () => 0.999999)).toBe(14999);
    expect(reconnectDelay(5000, () => 0.5)).toBe(7500);
  });

  it("spreads the first retry after an abrupt loss five times wider", () => {
    expect(reconnectDelay(0, () => 0.999999, true)).toBe(4999);
    expect(reconnectDelay(0, () => 0.5, true)).toBe(2500);
    expect(reconnectDelay(5, () => 0.999999, true)).toBe(14999);
    expect(isAbruptClose(1006)).toBe(true);
    expect(isAbruptClose(1011)).toBe(true);
    expect(isAbruptClose(1012)).toBe(false);
    expect(isAbruptClose(1000)).toBe(false);
  });

  it("spreads first retries evenly over their ceiling: no 100 ms holds more than its share", () => {
    const delays = Array.from({ length: 2000 }, () => reconnectDelay(0));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(1000);
    const buckets = new Array<number>(10).fill(0);
    for (const d of delays) buckets[Math.floor(d / 100)]++;
    // uniform: 200 each; half-jitter would leave the first ones empty
    expect(Math.min(...buckets)).toBeGreaterThan(120);
    expect(Math.max(...buckets)).toBeLessThan(290);
  });

  const page = { protocol: "http:", host: "pizza.localhost:8080", hostname: "pizza.localhost", port: "8080" };

  it("takes realtime_url as given when it is complete", () => {
    expect(resolveRealtimeUrl("wss://rt.stelly.com/ws/v1", page)).toBe("wss://rt.stelly.com/ws/v1");
    expect(resolveRealtimeUrl("ws://pizza.localhost:8080/ws/v1", page)).toBe("ws://pizza.localhost:8080/ws/v1");
  });

  it("adds the page's port when realtime_url names this host without one", () => {
    expect(resolveRealtimeUrl("ws://pizza.localhost/ws/v1", page)).toBe("ws://pizza.localhost:8080/ws/v1");
  });

  it("falls back to this host when realtime_url is missing or not a WebSocket URL", () => {
    expect(resolveRealtimeUrl("", page)).toBe("ws://pizza.localhost:8080/ws/v1");
    expect(resolveRealtimeUrl("nonsense", page)).toBe("ws://pizza.localhost:8080/ws/v1");
    expect(resolveRealtimeUrl("https://x/ws", { ...page, protocol: "https:" })).toBe("wss://pizza.localhost:8080/ws/v1");
  });
});
