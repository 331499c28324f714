import type { ReportSummary } from "../lib/adminTypes";
import { formatPrice } from "../lib/money";

/** The headline numbers, as the server counted them. */
export function ReportTiles({ report }: { report: ReportSummary }) {
  const tiles = [
    { label: "Orders", value: String(report.orders), id: "orders" },
    { label: "Revenue", value: formatPrice(report.revenue, report.currency), id: "revenue" },
    { label: "Average ticket", value: formatPrice(report.average_ticket, report.currency), id: "average" },
    { label: "Cancelled", value: `${report.cancelled.orders} · ${formatPrice(report.cancelled.amount, report.currency)}`, id: "cancelled" },
  ];
  return (
    <dl className="tiles">
      {tiles.map((t) => (
        <div key={t.id} className={`tile card${t.id === "cancelled" ? " apart" : ""}`} data-testid={`tile-${t.id}`}>
          <dt>{t.label}</dt>
          <dd>{t.value}</dd>
        </div>
      ))}
    </dl>
  );
}
