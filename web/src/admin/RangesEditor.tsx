import type { Interval } from "../lib/adminTypes";
import { MAX_RANGES, pastMidnight } from "../lib/hours";

interface Props {
  /** e.g. "Monday" or "25 Dec": names the inputs and buttons. */
  label: string;
  ranges: Interval[];
  onChange(ranges: Interval[]): void;
}

/** A day's opening ranges: none = closed; a close at or before the open runs past midnight. */
export function RangesEditor({ label, ranges, onChange }: Props) {
  const set = (i: number, patch: Partial<Interval>) => onChange(ranges.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="ranges">
      {ranges.length === 0 && <span className="muted">Closed</span>}
      {ranges.map((r, i) => (
        <div className="range" key={i} role="group" aria-label={`${label} range ${i + 1}`}>
          <label>
            <span className="sr-only">{label} range {i + 1} </span>Opens
            <input type="time" value={r.open} onChange={(e) => set(i, { open: e.target.value })} required />
          </label>
          <label>
            <span className="sr-only">{label} range {i + 1} </span>Closes
            <input type="time" value={r.close === "24:00" ? "00:00" : r.close} onChange={(e) => set(i, { close: e.target.value })} required />
          </label>
          {pastMidnight(r) && <span className="muted small">next day</span>}
          <button type="button" className="link" onClick={() => onChange(ranges.filter((_, j) => j !== i))} aria-label={`Remove ${label} range ${i + 1}`}>
            Remove
          </button>
        </div>
      ))}
      {ranges.length < MAX_RANGES && (
        <button type="button" onClick={() => onChange([...ranges, ranges.length ? { open: "18:00", close: "22:00" } : { open: "11:00", close: "15:00" }])} aria-label={`Add range on ${label}`}>
          Add range
        </button>
      )}
    </div>
  );
}
