import { describeIntervals, upcomingExceptions, WEEKDAYS, weekdayOf } from "../lib/hours";
import { formatDay, todayInZone } from "../lib/storeTime";
import type { Store } from "../lib/types";

/** The week's hours and the coming exceptions, as the store's clock reads them. */
export function StoreHours({ store }: { store: Store }) {
  const hours = store.opening_hours;
  if (hours === undefined) return null; // a server from before opening hours were public
  const today = todayInZone(store.timezone);
  const todayKey = weekdayOf(today);
  const exceptions = upcomingExceptions(store.hours_exceptions, today);
  return (
    <section className="store-hours card" aria-labelledby="hours-h">
      <h2 id="hours-h">Opening hours</h2>
      {hours === null ? (
        <p>Open around the clock.</p>
      ) : (
        <table className="hours-table">
          <caption className="muted small">Times in the restaurant's time zone ({store.timezone.replace(/_/g, " ")})</caption>
          <tbody>
            {WEEKDAYS.map(({ key, label }) => (
              <tr key={key} aria-current={key === todayKey ? "date" : undefined}>
                <th scope="row">{label}</th>
                <td>{describeIntervals(hours[key])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {exceptions.length > 0 && (
        <>
          <h3>Special days</h3>
          <ul className="hours-exceptions">
            {exceptions.map((e) => (
              <li key={e.date}>
                <strong>{e.date === today ? "Today" : formatDay(e.date)}</strong>: {e.intervals.length === 0 ? "Closed all day" : describeIntervals(e.intervals)}
                {e.note && <span className="muted"> — {e.note}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
