import { describe, expect, it } from "vitest";
import { compareOffsets, OffsetBook, reconnectDelay, resolveRealtimeUrl } from "../src/lib/offsets";

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

  it("backs off exponentially with jitter, capped", () => {
    expect(reconnectDelay(0, () => 0)).toBe(250);
    expect(reconnectDelay(0, () => 1)).toBe(500);
    expect(reconnectDelay(3, () => 1)).toBe(4000);
    expect(reconnectDelay(50, () => 1)).toBe(15000);
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
