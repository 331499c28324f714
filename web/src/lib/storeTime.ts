// Times as the restaurant reads them: every staff page formats instants in the
// store's time zone (`Store.timezone`), never the browser's, so a Rome
// pizzeria's board reads 14:42 for an order placed at 14:42 Rome time.

const cache = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, options: Intl.DateTimeFormatOptions, locale?: string): Intl.DateTimeFormat {
  const key = `${locale ?? ""}|${timeZone}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    cache.set(key, f);
  }
  return f;
}

function toDate(at: string | number | Date): Date {
  return at instanceof Date ? at : new Date(at);
}

/** `14:42`: the wall-clock time in the store's zone (24-hour). */
export function formatTime(at: string | number | Date, timeZone: string, locale?: string): string {
  return formatter(timeZone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }, locale).format(toDate(at));
}

/** `1 Dec 2026, 14:42` (in the locale's order) in the store's zone. */
export function formatDateTime(at: string | number | Date, timeZone: string, locale?: string): string {
  return formatter(timeZone, { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" }, locale).format(toDate(at));
}

/** The calendar date (`YYYY-MM-DD`) of an instant in the store's zone. */
export function dateInZone(at: string | number | Date, timeZone: string): string {
  const parts = formatter(timeZone, { year: "numeric", month: "2-digit", day: "2-digit" }, "en-CA").formatToParts(toDate(at));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** Today's date (`YYYY-MM-DD`) where the store is. */
export function todayInZone(timeZone: string, now: number = Date.now()): string {
  return dateInZone(now, timeZone);
}

/** `YYYY-MM-DD` plus (or minus) whole days, calendar arithmetic only. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A plain calendar date (`2026-12-25`) in words (`Fri, 25 Dec 2026`); no zone shift. */
export function formatDay(date: string, locale?: string): string {
  return formatter("UTC", { weekday: "short", day: "numeric", month: "short", year: "numeric" }, locale).format(new Date(`${date}T00:00:00Z`));
}

/** The short name of the zone at that instant (`CET`, `GMT+1`), to label times. */
export function zoneLabel(timeZone: string, at: number = Date.now(), locale?: string): string {
  const parts = formatter(timeZone, { timeZoneName: "short" }, locale).formatToParts(new Date(at));
  return parts.find((p) => p.type === "timeZoneName")?.value ?? timeZone;
}
