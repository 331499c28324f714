import { linkHandler } from "../router";
import { formatLocalTime } from "./localTime";
import { domainsPath } from "./routes";
import type { Tenant } from "./types";

const count = new Intl.NumberFormat();
const figure = (n: number | null) => (n === null ? "—" : count.format(n));

export function TenantRow({ tenant, onToggle }: { tenant: Tenant; onToggle(t: Tenant): void }) {
  const suspended = tenant.status === "suspended";
  const path = domainsPath(tenant.slug);
  return (
    <tr data-slug={tenant.slug}>
      <th scope="row"><code>{tenant.slug}</code></th>
      <td>{tenant.name}</td>
      <td><span className={`badge ${suspended ? "off" : "on"}`}>{suspended ? "Suspended" : "Active"}</span></td>
      <td className="num">{figure(tenant.orders_last_7_days)}</td>
      <td className="num">{figure(tenant.images_stored)}</td>
      <td>{tenant.last_order_at ? <time dateTime={tenant.last_order_at}>{formatLocalTime(tenant.last_order_at)}</time> : <span className="muted">No orders yet</span>}</td>
      <td className="row-actions">
        <a href={path} onClick={linkHandler(path)}>
          Domains<span className="sr-only"> of {tenant.slug}</span>
        </a>
        <button type="button" className={suspended ? undefined : "danger"} onClick={() => onToggle(tenant)}>
          {suspended ? "Resume" : "Suspend"}
          <span className="sr-only"> {tenant.slug}</span>
        </button>
      </td>
    </tr>
  );
}
