import { ConfirmDialog } from "./ConfirmDialog";
import type { Tenant } from "./types";

/** Asks before a tenant's storefront goes dark (or comes back). */
export function SuspendDialog({ tenant, busy, onConfirm, onCancel }: { tenant: Tenant; busy: boolean; onConfirm(): void; onCancel(): void }) {
  const suspend = tenant.status !== "suspended";
  return (
    <ConfirmDialog
      title={suspend ? `Suspend ${tenant.name}?` : `Resume ${tenant.name}?`}
      confirmLabel={suspend ? "Suspend" : "Resume"}
      busy={busy}
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      <p>
        {suspend
          ? `The storefront of ${tenant.slug} stops taking orders and its staff cannot log in until it is resumed.`
          : `The storefront of ${tenant.slug} takes orders again and its staff can log in.`}
      </p>
    </ConfirmDialog>
  );
}
