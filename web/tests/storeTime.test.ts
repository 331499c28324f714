import { describe, expect, it } from "vitest";
import { addDays, dateInZone, formatDateTime, formatDay, formatTime, todayInZone } from "../src/lib/storeTime";

// 13:42 UTC on 1 December 2026: 14:42 in Rome (CET), 08:42 in New York (EST)
const AT = "2026-12-01T13:42:00Z";

describe("store time zone formatting", () => {
  it("renders one instant as each store's wall clock, whatever the browser's zone", () => {
    expect(formatTime(AT, "Europe/Rome", "en-GB")).toBe("14:42");
    expect(formatTime(AT, "America/New_York", "en-GB")).toBe("08:42");
    expect(formatTime(Date.parse(AT), "UTC", "en-GB")).toBe("13:42");
  });

  it("follows daylight saving time", () => {
    expect(formatTime("2026-07-01T12:42:00Z", "Europe/Rome", "en-GB")).toBe("14:42");
    expect(formatTime("2026-07-01T12:42:00Z", "America/New_York", "en-GB")).toBe("08:42");
  });

  it("gives the store's calendar date, which may differ from UTC's", () => {
    // 23:30 UTC on 1 Dec is already 2 Dec in Rome and still 1 Dec in New York
    expect(dateInZone("2026-12-01T23:30:00Z", "Europe/Rome")).toBe("2026-12-02");
    expect(dateInZone("2026-12-01T23:30:00Z", "America/New_York")).toBe("2026-12-01");
    expect(todayInZone("Asia/Tokyo", Date.parse("2026-12-31T16:00:00Z"))).toBe("2027-01-01");
  });

  it("writes date and time together in the store's zone", () => {
    const text = formatDateTime(AT, "Europe/Rome", "en-GB");
    expect(text).toContain("14:42");
    expect(text).toContain("2026");
  });

  it("does calendar arithmetic on plain dates", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(formatDay("2026-12-25", "en-GB")).toMatch(/^Fri,? 25 Dec 2026$/);
  });
});
