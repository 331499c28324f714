import type { HoursException } from "../lib/adminTypes";
import { formatDay } from "../lib/storeTime";
import { RangesEditor } from "./RangesEditor";

interface Props {
  exceptions: HoursException[];
  today: string;
  onChange(list: HoursException[]): void;
}

/** Dated changes to the week (holidays, special hours); no ranges = closed all day. */
export function ExceptionsEditor({ exceptions, today, onChange }: Props) {
  const set = (i: number, patch: Partial<HoursException>) => onChange(exceptions.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  return (
    <section className="card" aria-labelledby="exceptions-h">
      <h3 id="exceptions-h">Holidays and special hours</h3>
      {exceptions.length === 0 && <p className="muted">No special days. The weekly hours apply.</p>}
      <ul className="exceptions">
        {exceptions.map((e, i) => {
          const label = e.date ? formatDay(e.date) : `special day ${i + 1}`;
          return (
            <li key={i} className="exception">
              <label>
                Date
                <input type="date" value={e.date} min={today} onChange={(ev) => set(i, { date: ev.target.value })} required />
              </label>
              <label>
                Note <span className="muted">(optional)</span>
                <input value={e.note ?? ""} onChange={(ev) => set(i, { note: ev.target.value })} maxLength={100} placeholder="Christmas" />
              </label>
              <RangesEditor label={label} ranges={e.intervals} onChange={(intervals) => set(i, { intervals })} />
              <button type="button" className="danger" onClick={() => onChange(exceptions.filter((_, j) => j !== i))} aria-label={`Remove day ${label}`}>
                Remove day
              </button>
            </li>
          );
        })}
      </ul>
      <button type="button" onClick={() => onChange([...exceptions, { date: today, intervals: [], note: "" }])}>
        Add a special day
      </button>
    </section>
  );
}
