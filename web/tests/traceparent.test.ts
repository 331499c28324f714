import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "../src/lib/api";
import { newTraceparent } from "../src/lib/traceparent";

const FORMAT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe("traceparent", () => {
  it("is a W3C traceparent: version 00, 16-byte trace id, 8-byte span id, sampled", () => {
    const value = newTraceparent();
    expect(value).toMatch(FORMAT);
    expect(value).toHaveLength(55);
  });

  it("starts a new trace on every call", () => {
    const values = Array.from({ length: 50 }, () => newTraceparent());
    const traces = new Set(values.map((v) => FORMAT.exec(v)?.[1]));
    expect(traces.size).toBe(50);
  });

  it("takes its ids from the random source, in order", () => {
    const counting = (bytes: Uint8Array) => bytes.map((_, i) => i + 1);
    expect(newTraceparent(counting)).toBe(
      "00-0102030405060708090a0b0c0d0e0f10-1112131415161718-01",
    );
  });

  it("never sends the all-zero ids the specification forbids", () => {
    const zeros = (bytes: Uint8Array) => bytes.fill(0);
    const [, trace, span] = FORMAT.exec(newTraceparent(zeros)) ?? [];
    expect(trace).not.toBe("0".repeat(32));
    expect(span).not.toBe("0".repeat(16));
  });

  describe("on API calls", () => {
    afterEach(() => vi.unstubAllGlobals());

    it("goes with every call, a new trace each time", async () => {
      const sent: string[] = [];
      vi.stubGlobal("fetch", async (_path: string, init: RequestInit) => {
        sent.push((init.headers as Record<string, string>).traceparent);
        return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
      });
      await api("/api/v1/store/menu");
      await api("/api/v1/store/orders", { method: "POST", body: {} });
      expect(sent).toHaveLength(2);
      for (const value of sent) expect(value).toMatch(FORMAT);
      expect(sent[0].slice(3, 35)).not.toBe(sent[1].slice(3, 35));
    });
  });
});
