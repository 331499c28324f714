import { describe, expect, it } from "vitest";
import { refetchDelay } from "../src/lib/storeRefresh";

describe("store refetch at next_change_at", () => {
  const now = Date.parse("2026-12-01T10:00:00Z");
  it("waits until just after the change", () => {
    expect(refetchDelay("2026-12-01T10:30:00Z", now)).toBe(30 * 60_000 + 1_000);
    expect(refetchDelay("2026-12-01T11:30:00+01:00", now)).toBe(30 * 60_000 + 1_000);
  });
  it("never fires at once nor overflows a timer, and skips what is not a time", () => {
    expect(refetchDelay("2026-12-01T09:00:00Z", now)).toBe(1_000);
    expect(refetchDelay("2027-12-01T09:00:00Z", now)).toBe(2 ** 31 - 1);
    expect(refetchDelay(null, now)).toBeNull();
    expect(refetchDelay("soon", now)).toBeNull();
  });
});
