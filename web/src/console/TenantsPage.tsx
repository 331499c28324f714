import { useState } from "react";
import { errorText } from "../lib/api";
import { CreateTenantForm } from "./CreateTenantForm";
import { setTenantSuspended } from "./platformApi";
import { SuspendDialog } from "./SuspendDialog";
import { TenantsTable } from "./TenantsTable";
import type { Tenant } from "./types";
import { useTenants } from "./useTenants";

export function TenantsPage({ token }: { token: string }) {
  const { tenants, loading, error, hasMore, loadMore, upsert } = useTenants(token);
  const [asking, setAsking] = useState<Tenant | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState("");
  const [actionError, setActionError] = useState<string | null>(null);

  async function toggle(tenant: Tenant) {
    const suspend = tenant.status !== "suspended";
    setBusy(true);
    setActionError(null);
    try {
      const updated = await setTenantSuspended(token, tenant.slug, suspend);
      upsert({ ...tenant, ...(updated ?? {}), status: suspend ? "suspended" : "active" });
      setNotice(`${tenant.slug} is ${suspend ? "suspended" : "active again"}.`);
    } catch (err) {
      setActionError(errorText(err));
    } finally {
      setBusy(false);
      setAsking(null);
    }
  }

  return (
    <main className="page console-page">
      <h1>Tenants</h1>
      <p role="status" className={notice ? "banner on" : "sr-only"}>{notice}</p>
      {actionError && <p className="error" role="alert">{actionError}</p>}
      <CreateTenantForm
        token={token}
        onCreated={(t) => {
          upsert(t);
          setNotice(`Tenant ${t.slug} created.`);
        }}
      />
      <section aria-labelledby="tenants-title">
        <h2 id="tenants-title">All tenants</h2>
        {error && <p className="error" role="alert">{error}</p>}
        {tenants.length > 0 && <TenantsTable tenants={tenants} onToggle={setAsking} />}
        {!loading && !error && tenants.length === 0 && <p className="muted">No tenants yet.</p>}
        {loading && <p className="muted" role="status">Loading tenants…</p>}
        {hasMore && !loading && <button type="button" onClick={loadMore}>Load more</button>}
      </section>
      {asking && <SuspendDialog tenant={asking} busy={busy} onConfirm={() => void toggle(asking)} onCancel={() => setAsking(null)} />}
    </main>
  );
}
