// The report's charts (recharts, a chunk of its own: only /admin/reports loads it).
import { Bar, BarChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { ReportSummary } from "../lib/adminTypes";
import { formatPrice, minorDigits } from "../lib/money";
import { formatDay } from "../lib/storeTime";

const BRAND = "#b5341c";
const INK = "#1d1b1a";

export default function ReportCharts({ report }: { report: ReportSummary }) {
  const unit = 10 ** minorDigits(report.currency);
  const money = (v: number) => formatPrice(Math.round(v * unit), report.currency);
  const hours = report.by_hour.map((h) => ({ hour: `${String(h.hour).padStart(2, "0")}:00`, orders: h.orders }));
  const days = report.by_day.map((d) => ({ date: d.date, label: formatDay(d.date), revenue: d.revenue / unit }));
  const oneDay = days.length <= 1;
  return (
    <div className="charts">
      <figure className="card chart" data-testid="chart-by-hour">
        <figcaption><h3>Orders by hour of day</h3></figcaption>
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={hours} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="hour" interval={2} tick={{ fill: INK, fontSize: 12 }} />
            <YAxis allowDecimals={false} tick={{ fill: INK, fontSize: 12 }} />
            <Tooltip />
            <Bar dataKey="orders" name="Orders" fill={BRAND} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <figure className="card chart" data-testid="chart-by-day">
        <figcaption><h3>Revenue by day</h3></figcaption>
        <ResponsiveContainer width="100%" height={220}>
          {oneDay ? (
            <BarChart data={days} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" tick={{ fill: INK, fontSize: 12 }} />
              <YAxis tickFormatter={money} tick={{ fill: INK, fontSize: 12 }} width={72} />
              <Tooltip formatter={(v) => money(Number(v))} />
              <Bar dataKey="revenue" name="Revenue" fill={BRAND} isAnimationActive={false} />
            </BarChart>
          ) : (
            <LineChart data={days} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="label" tick={{ fill: INK, fontSize: 12 }} minTickGap={16} />
              <YAxis tickFormatter={money} tick={{ fill: INK, fontSize: 12 }} width={72} />
              <Tooltip formatter={(v) => money(Number(v))} />
              <Line dataKey="revenue" name="Revenue" stroke={BRAND} strokeWidth={2} dot={days.length < 40} isAnimationActive={false} />
            </LineChart>
          )}
        </ResponsiveContainer>
      </figure>
    </div>
  );
}
