import { describe, expect, it } from "vitest";
import { describeIntervals, hoursProblem, intervalsProblem, upcomingExceptions, weekdayOf } from "../src/lib/hours";

describe("opening hours", () => {
  it("accepts the server's times and names the first bad one", () => {
    expect(intervalsProblem([{ open: "12:00", close: "15:00" }, { open: "19:00", close: "24:00" }], "Monday")).toBeNull();
    expect(intervalsProblem([{ open: "24:00", close: "02:00" }], "Monday")).toMatch(/Monday: the opening time/);
    expect(intervalsProblem([{ open: "12:00", close: "15:00" }, { open: "9", close: "10:00" }], "Friday")).toMatch(/Friday \(range 2\): the opening/);
    expect(intervalsProblem([{ open: "12:00", close: "25:00" }], "Sunday")).toMatch(/closing time/);
    expect(hoursProblem(null)).toBeNull();
    expect(hoursProblem({ tue: Array(7).fill({ open: "10:00", close: "11:00" }) })).toMatch(/Tuesday: at most 6/);
  });

  it("describes a day, with ranges past midnight", () => {
    expect(describeIntervals([])).toBe("Closed");
    expect(describeIntervals([{ open: "12:00", close: "15:00" }, { open: "19:00", close: "24:00" }])).toBe("12:00–15:00, 19:00–00:00");
    expect(describeIntervals([{ open: "18:00", close: "02:00" }])).toBe("18:00–02:00 (next day)");
    expect(describeIntervals([{ open: "12:00", close: "00:00" }])).toBe("12:00–00:00");
  });

  it("lists exceptions from today, soonest first", () => {
    const list = [
      { date: "2026-12-31", intervals: [{ open: "18:00", close: "02:00" }] },
      { date: "2026-11-30", intervals: [] },
      { date: "2026-12-25", intervals: [], note: "Christmas" },
    ];
    expect(upcomingExceptions(list, "2026-12-01").map((e) => e.date)).toEqual(["2026-12-25", "2026-12-31"]);
    expect(weekdayOf("2026-12-25")).toBe("fri");
    expect(weekdayOf("2026-12-27")).toBe("sun");
  });
});
