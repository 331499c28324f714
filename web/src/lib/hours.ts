// Opening hours as the staff page edits them and the storefront shows them
// (the server's rules: `HH:MM`, open 00:00–23:59, close 00:00–24:00, a close at
// or before the open runs past midnight, at most 6 ranges a day).
import type { HoursException, Interval, OpeningHours, Weekday } from "./adminTypes";

export const WEEKDAYS: readonly { key: Weekday; label: string }[] = [
  { key: "mon", label: "Monday" },
  { key: "tue", label: "Tuesday" },
  { key: "wed", label: "Wednesday" },
  { key: "thu", label: "Thursday" },
  { key: "fri", label: "Friday" },
  { key: "sat", label: "Saturday" },
  { key: "sun", label: "Sunday" },
];

export const MAX_RANGES = 6;
const OPEN = /^([01]\d|2[0-3]):[0-5]\d$/;
const CLOSE = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** The first problem with a day's ranges, in words, or null. */
export function intervalsProblem(intervals: readonly Interval[], label: string): string | null {
  if (intervals.length > MAX_RANGES) return `${label}: at most ${MAX_RANGES} ranges a day.`;
  for (const [i, r] of intervals.entries()) {
    const which = intervals.length > 1 ? ` (range ${i + 1})` : "";
    if (!OPEN.test(r.open)) return `${label}${which}: the opening time must be between 00:00 and 23:59.`;
    if (!CLOSE.test(r.close)) return `${label}${which}: the closing time must be between 00:00 and 24:00.`;
  }
  return null;
}

/** The week's first problem, or null. */
export function hoursProblem(hours: OpeningHours): string | null {
  if (hours === null) return null;
  for (const { key, label } of WEEKDAYS) {
    const p = intervalsProblem(hours[key] ?? [], label);
    if (p) return p;
  }
  return null;
}

/** Whether a range runs past midnight into the next day (closing at 00:00 is closing at midnight). */
export function pastMidnight(r: Interval): boolean {
  return r.close !== "24:00" && r.close !== "00:00" && r.close <= r.open;
}

/** `12:00–15:00, 19:00–23:30` (`Closed` for none); `24:00` reads as midnight. */
export function describeIntervals(intervals: readonly Interval[] | undefined): string {
  if (!intervals || intervals.length === 0) return "Closed";
  return intervals
    .map((r) => `${r.open}–${r.close === "24:00" ? "00:00" : r.close}${pastMidnight(r) ? " (next day)" : ""}`)
    .join(", ");
}

/** Exceptions from `today` on (dates are the store's), soonest first. */
export function upcomingExceptions(list: readonly HoursException[] | undefined, today: string): HoursException[] {
  return [...(list ?? [])].filter((e) => e.date >= today).sort((a, b) => a.date.localeCompare(b.date));
}

/** The week's day key of a calendar date (`2026-12-25` → `fri`). */
export function weekdayOf(date: string): Weekday {
  const index = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return WEEKDAYS[(index + 6) % 7].key;
}
