// Times in the operator's own time zone, with the zone named so nobody takes it for the tenant's.

/** The operator's time zone as the browser knows it, e.g. `Europe/Berlin`. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
}

/** `2026-12-01T16:05:00Z` → `1 Dec 2026, 17:05` in `timeZone` (the browser's unless given). */
export function formatLocalTime(iso: string | null | undefined, timeZone?: string, locale?: string): string {
  if (!iso) return "—";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "—";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(when);
}
