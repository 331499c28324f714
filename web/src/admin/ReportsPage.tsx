import { lazy, Suspense, useEffect, useState } from "react";
import type { ReportExportKind, ReportSummary } from "../lib/adminTypes";
import { api, errorText } from "../lib/api";
import { downloadFile } from "../lib/download";
import { formatPrice } from "../lib/money";
import { addDays, todayInZone } from "../lib/storeTime";
import type { Store } from "../lib/types";
import { ReportTiles } from "./ReportTiles";
import { TopItems } from "./TopItems";

const ReportCharts = lazy(() => import("./ReportCharts"));

const EXPORTS: { kind: ReportExportKind; label: string }[] = [
  { kind: "orders", label: "Orders (CSV)" },
  { kind: "hours", label: "By hour (CSV)" },
  { kind: "items", label: "Items (CSV)" },
];

/** Today or any range of the store's days; every number is the server's. */
export function ReportsPage({ store, token }: { store: Store; token: string }) {
  const today = todayInZone(store.timezone);
  const [range, setRange] = useState({ from: today, to: today });
  const [draft, setDraft] = useState(range);
  const [report, setReport] = useState<ReportSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [exporting, setExporting] = useState<ReportExportKind | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    setError(null);
    api<ReportSummary>(`/api/v1/admin/reports/summary?from=${range.from}&to=${range.to}`, { token, signal: ctl.signal })
      .then(setReport)
      .catch((err) => !ctl.signal.aborted && setError(errorText(err)))
      .finally(() => !ctl.signal.aborted && setLoading(false));
    return () => ctl.abort();
  }, [range, token]);

  const preset = (days: number) => {
    const r = { from: addDays(today, -(days - 1)), to: today };
    setDraft(r);
    setRange(r);
  };

  async function exportCsv(kind: ReportExportKind) {
    setExporting(kind);
    setError(null);
    try {
      await downloadFile(`/api/v1/admin/reports/export?from=${range.from}&to=${range.to}&kind=${kind}`, token, `${store.slug}-${kind}-${range.from}-${range.to}.csv`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setExporting(null);
    }
  }

  const label = range.from === range.to ? (range.from === today ? "Today" : range.from) : `${range.from} to ${range.to}`;
  return (
    <main className="page reports-page">
      <h2>Reports</h2>
      <div className="card report-controls">
        <div className="presets" role="group" aria-label="Quick ranges">
          <button type="button" onClick={() => preset(1)} aria-pressed={range.from === today && range.to === today}>Today</button>
          <button type="button" onClick={() => preset(7)}>Last 7 days</button>
          <button type="button" onClick={() => preset(30)}>Last 30 days</button>
        </div>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!draft.from || !draft.to || draft.from > draft.to) return setError("Choose a start date on or before the end date.");
            setRange({ ...draft });
          }}
        >
          <label>
            From
            <input type="date" value={draft.from} max={today} onChange={(e) => setDraft((d) => ({ ...d, from: e.target.value }))} />
          </label>
          <label>
            To
            <input type="date" value={draft.to} max={today} onChange={(e) => setDraft((d) => ({ ...d, to: e.target.value }))} />
          </label>
          <button type="submit" className="primary">Show</button>
        </form>
      </div>
      <h3 data-testid="report-range">{label} <span className="muted small">({store.timezone.replace(/_/g, " ")} days)</span></h3>
      {error && <p className="error" role="alert">{error}</p>}
      <p role="status" className="sr-only">{loading ? "Loading the report…" : report ? `Report for ${label} loaded` : ""}</p>
      {loading && !report && <p className="muted">Loading the report…</p>}
      {report && (
        <div className={loading ? "stale" : undefined} aria-busy={loading}>
          <ReportTiles report={report} />
          <Suspense fallback={<p className="muted">Loading the charts…</p>}>
            <ReportCharts report={report} />
          </Suspense>
          <TopItems report={report} />
          <section className="card exports" aria-labelledby="exports-h">
            <h3 id="exports-h">Export</h3>
            {EXPORTS.map(({ kind, label: text }) => (
              <button key={kind} type="button" onClick={() => void exportCsv(kind)} disabled={exporting !== null}>
                {exporting === kind ? "Preparing…" : text}
              </button>
            ))}
            <p className="muted small">Cancelled orders: {report.cancelled.orders} ({formatPrice(report.cancelled.amount, report.currency)}), not counted in revenue.</p>
          </section>
        </div>
      )}
    </main>
  );
}
