import { localTimeZone } from "./localTime";
import { TenantRow } from "./TenantRow";
import type { Tenant } from "./types";

export function TenantsTable({ tenants, onToggle }: { tenants: Tenant[]; onToggle(t: Tenant): void }) {
  return (
    <div className="table-scroll">
      <table className="tenants">
        <caption className="sr-only">Tenants</caption>
        <thead>
          <tr>
            <th scope="col">Slug</th>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">Orders, last 7 days</th>
            <th scope="col" className="num">Images stored</th>
            <th scope="col">Last order <span className="muted small">(your time, {localTimeZone()})</span></th>
            <th scope="col"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {tenants.map((t) => <TenantRow key={t.slug} tenant={t} onToggle={onToggle} />)}
        </tbody>
      </table>
    </div>
  );
}
