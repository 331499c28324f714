import { describe, expect, it } from "vitest";
import { RealtimeClient, type RealtimeEvent } from "../src/lib/realtime";

class FakeSocket {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  frame(f: unknown) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
}

function harness(random: () => number = () => 0.5) {
  const sockets: FakeSocket[] = [];
  const timers: (() => void)[] = [];
  const delays: number[] = [];
  const client = new RealtimeClient({
    url: "ws://x/ws/v1",
    socket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    schedule: (fn, ms) => {
      delays.push(ms);
      return timers.push(fn);
    },
    cancel: () => undefined,
    random,
  });
  const events: RealtimeEvent[] = [];
  const subscribed: [boolean, boolean][] = [];
  const errors: string[] = [];
  client.subscribe({
    channel: "kitchen",
    token: "T",
    onEvent: (e) => events.push(e),
    onSubscribed: (r, first) => subscribed.push([r, first]),
    onError: (c) => errors.push(c),
  });
  client.start();
  return { client, sockets, timers, delays, events, subscribed, errors };
}

describe("realtime client", () => {
  it("subscribes on open and delivers events once", () => {
    const h = harness();
    h.sockets[0].open();
    expect(h.sockets[0].sent).toEqual([{ op: "subscribe", channel: "kitchen", token: "T" }]);
    h.sockets[0].frame({ op: "subscribed", channel: "kitchen", offset: "5-0", recovered: true });
    expect(h.subscribed).toEqual([[false, true]]);
    h.sockets[0].frame({ op: "event", channel: "kitchen", offset: "6-0", type: "order.created", data: { id: 1 } });
    h.sockets[0].frame({ op: "event", channel: "kitchen", offset: "6-0", type: "order.created", data: { id: 1 } });
    expect(h.events.map((e) => e.offset)).toEqual(["6-0"]);
  });

  it("reconnects after a drop and resumes with since = last offset", () => {
    const h = harness();
    h.sockets[0].open();
    h.sockets[0].frame({ op: "subscribed", channel: "kitchen", offset: "5-0", recovered: false });
    h.sockets[0].frame({ op: "event", channel: "kitchen", offset: "7-0", type: "order.created", data: {} });
    h.sockets[0].close();
    expect(h.timers).toHaveLength(1);
    h.timers.shift()!();
    h.sockets[1].open();
    expect(h.sockets[1].sent).toEqual([{ op: "subscribe", channel: "kitchen", token: "T", since: "7-0" }]);
    h.sockets[1].frame({ op: "subscribed", channel: "kitchen", offset: "9-0", recovered: true });
    h.sockets[1].frame({ op: "event", channel: "kitchen", offset: "7-0", type: "order.created", data: {} });
    h.sockets[1].frame({ op: "event", channel: "kitchen", offset: "8-0", type: "order.updated", data: {} });
    expect(h.events.map((e) => e.offset)).toEqual(["7-0", "8-0"]);
    expect(h.subscribed).toEqual([[false, true], [true, false]]);
  });

  it("reports recovered: false so the owner refetches", () => {
    const h = harness();
    h.sockets[0].open();
    h.sockets[0].frame({ op: "subscribed", channel: "kitchen", offset: "5-0", recovered: false });
    h.sockets[0].close();
    h.timers.shift()!();
    h.sockets[1].open();
    h.sockets[1].frame({ op: "subscribed", channel: "kitchen", offset: "99-0", recovered: false });
    expect(h.subscribed.at(-1)).toEqual([false, false]);
  });

  it("starts afresh on invalid_offset and gives up on a bad token", () => {
    const h = harness();
    h.sockets[0].open();
    h.sockets[0].frame({ op: "subscribed", channel: "kitchen", offset: "5-0", recovered: false });
    h.sockets[0].frame({ op: "error", channel: "kitchen", code: "invalid_offset" });
    expect(h.sockets[0].sent.at(-1)).toEqual({ op: "subscribe", channel: "kitchen", token: "T" });
    h.sockets[0].frame({ op: "error", channel: "kitchen", code: "invalid_token" });
    expect(h.errors).toEqual(["invalid_token"]);
    h.sockets[0].close();
    h.timers.shift()!();
    h.sockets[1].open();
    expect(h.sockets[1].sent).toEqual([]);
  });

  it("waits a full-jitter delay before reconnecting after a 1012, then resumes with since", () => {
    const h = harness(() => 0.25);
    h.sockets[0].open();
    h.sockets[0].frame({ op: "subscribed", channel: "kitchen", offset: "5-0", recovered: false });
    h.sockets[0].frame({ op: "event", channel: "kitchen", offset: "6-0", type: "order.created", data: {} });
    h.sockets[0].close(1012); // the replica is restarting
    expect(h.sockets).toHaveLength(1); // not at once
    expect(h.delays).toEqual([250]); // a quarter of the first retry's 1 s ceiling
    h.timers.shift()!();
    h.sockets[1].open();
    expect(h.sockets[1].sent).toEqual([{ op: "subscribe", channel: "kitchen", token: "T", since: "6-0" }]);
  });

  it("waits up to five times longer when the replica vanished (1011 from the edge)", () => {
    const h = harness(() => 0.5);
    h.sockets[0].open();
    h.sockets[0].frame({ op: "subscribed", channel: "kitchen", offset: "5-0", recovered: false });
    h.sockets[0].close(1011);
    expect(h.delays).toEqual([2500]); // half of the 5 s ceiling: nobody spread these closes
  });

  it("first retries of many clients after one 1012 are spread, not in step", () => {
    const delays = Array.from({ length: 200 }, () => {
      const h = harness(Math.random);
      h.sockets[0].open();
      h.sockets[0].frame({ op: "subscribed", channel: "kitchen", offset: "5-0", recovered: false });
      h.sockets[0].close(1012);
      return h.delays[0];
    });
    expect(new Set(delays).size).toBeGreaterThan(80);
    expect(Math.max(...delays)).toBeLessThan(1000);
  });

  it("backs off further while the server closes before serving, and starts over once served", () => {
    const h = harness(() => 0.999);
    h.sockets[0].open();
    h.sockets[0].frame({ op: "subscribed", channel: "kitchen", offset: "5-0", recovered: false });
    for (let n = 0; n < 3; n++) {
      h.sockets[n].close(1012); // a draining replica takes the socket and lets it go at once
      h.timers.shift()!();
      h.sockets[n + 1].open();
    }
    expect(h.delays).toEqual([999, 1998, 3996]);
    h.sockets[3].frame({ op: "subscribed", channel: "kitchen", offset: "5-0", recovered: true });
    h.sockets[3].close(1012);
    expect(h.delays.at(-1)).toBe(999);
  });

  it("stops reconnecting after stop()", () => {
    const h = harness();
    h.sockets[0].open();
    h.client.stop();
    expect(h.timers).toHaveLength(0);
  });
});
