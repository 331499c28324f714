import type { ReportSummary } from "../lib/adminTypes";
import { formatPrice } from "../lib/money";

export function TopItems({ report }: { report: ReportSummary }) {
  return (
    <section className="card" aria-labelledby="top-items-h">
      <h3 id="top-items-h">Top items</h3>
      {report.top_items.length === 0 ? (
        <p className="muted">No items sold in this range.</p>
      ) : (
        <table className="data-table" data-testid="top-items">
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col" className="num">Sold</th>
              <th scope="col" className="num">Revenue</th>
            </tr>
          </thead>
          <tbody>
            {report.top_items.map((i) => (
              <tr key={i.item_id}>
                <td>{i.name}</td>
                <td className="num">{i.quantity}</td>
                <td className="num">{formatPrice(i.revenue, report.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
