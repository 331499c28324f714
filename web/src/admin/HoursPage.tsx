import { useCallback, useEffect, useState } from "react";
import type { AdminStoreSettings, HoursException, Interval, OpeningHours, Weekday } from "../lib/adminTypes";
import { api, errorText } from "../lib/api";
import { hoursProblem, intervalsProblem, WEEKDAYS } from "../lib/hours";
import { formatDay, todayInZone } from "../lib/storeTime";
import type { Store } from "../lib/types";
import { ClosedNowSwitch } from "./ClosedNowSwitch";
import { ExceptionsEditor } from "./ExceptionsEditor";
import { RangesEditor } from "./RangesEditor";

type Week = Record<Weekday, Interval[]>;

function toWeek(hours: OpeningHours): Week {
  return Object.fromEntries(WEEKDAYS.map(({ key }) => [key, hours?.[key] ?? []])) as Week;
}

/** Weekly hours (several ranges a day), dated exceptions and the "Closed now" switch. */
export function HoursPage({ store, token }: { store: Store; token: string }) {
  const [settings, setSettings] = useState<AdminStoreSettings | null>(null);
  const [allDay, setAllDay] = useState(false);
  const [week, setWeek] = useState<Week>(() => toWeek(null));
  const [exceptions, setExceptions] = useState<HoursException[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const today = todayInZone(store.timezone);

  const show = useCallback((s: AdminStoreSettings) => {
    setSettings(s);
    setAllDay(s.opening_hours === null);
    setWeek(toWeek(s.opening_hours));
    setExceptions(s.hours_exceptions ?? []);
  }, []);

  useEffect(() => {
    api<AdminStoreSettings>("/api/v1/admin/store", { token })
      .then(show)
      .catch((err) => setError(errorText(err)));
  }, [token, show]);

  async function save(e: React.FormEvent) {
    e.preventDefault();
    const opening_hours: OpeningHours = allDay ? null : Object.fromEntries(WEEKDAYS.filter(({ key }) => week[key].length).map(({ key }) => [key, week[key]]));
    const problem =
      hoursProblem(opening_hours) ??
      exceptions.map((x, i) => (!x.date ? `Special day ${i + 1}: choose a date.` : intervalsProblem(x.intervals, formatDay(x.date)))).find(Boolean) ??
      (new Set(exceptions.map((x) => x.date)).size < exceptions.length ? "Each date can have only one special day." : null);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const hours_exceptions = exceptions.map(({ date, intervals, note }) => ({ date, intervals, ...(note?.trim() ? { note: note.trim() } : {}) }));
      show(await api<AdminStoreSettings>("/api/v1/admin/store", { method: "PATCH", token, body: { opening_hours, hours_exceptions } }));
      setStatus("Opening hours saved");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="page hours-page">
      <h2>Opening hours</h2>
      <p className="sr-only" role="status" aria-live="polite">{status}</p>
      {!settings && !error && <p role="status">Loading the hours…</p>}
      {settings && (
        <ClosedNowSwitch
          token={token}
          closedNow={Boolean(settings.closed_now)}
          onChanged={(s) => {
            setSettings((cur) => (cur ? { ...cur, closed_now: s.closed_now } : s));
            setStatus(s.closed_now ? "The store is closed now" : "The store follows its hours again");
          }}
          onError={setError}
        />
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {settings && (
        <form onSubmit={save} className="hours-form">
          <section className="card" aria-labelledby="week-h">
            <h3 id="week-h">Every week</h3>
            <p className="muted small">Times in {store.timezone.replace(/_/g, " ")}. A closing time at or before the opening runs past midnight.</p>
            <label className="choice">
              <input type="checkbox" checked={allDay} onChange={(e) => setAllDay(e.target.checked)} /> Open around the clock
            </label>
            {!allDay && (
              <table className="week">
                <tbody>
                  {WEEKDAYS.map(({ key, label }) => (
                    <tr key={key}>
                      <th scope="row">{label}</th>
                      <td>
                        <RangesEditor label={label} ranges={week[key]} onChange={(ranges) => setWeek((w) => ({ ...w, [key]: ranges }))} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <ExceptionsEditor exceptions={exceptions} today={today} onChange={setExceptions} />
          <button type="submit" className="primary" disabled={busy}>{busy ? "Saving…" : "Save hours"}</button>
        </form>
      )}
    </main>
  );
}
