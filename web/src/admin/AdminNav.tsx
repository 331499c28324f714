import type { Role } from "../lib/adminTypes";
import { canOpen } from "../lib/roles";
import { type AdminTab, linkHandler } from "../router";

const LINKS: { tab: AdminTab; label: string }[] = [
  { tab: "kitchen", label: "Kitchen board" },
  { tab: "menu", label: "Menu" },
  { tab: "hours", label: "Hours" },
  { tab: "history", label: "Order history" },
  { tab: "reports", label: "Reports" },
  { tab: "staff", label: "Staff accounts" },
];

/** The staff app's links, only those the role may open. */
export function AdminNav({ tab, role, onLogout }: { tab: AdminTab; role: Role | null; onLogout(): void }) {
  return (
    <nav aria-label="Staff">
      {LINKS.filter((l) => role !== null && canOpen(role, l.tab)).map(({ tab: t, label }) => (
        <a key={t} href={`/admin/${t}`} aria-current={tab === t ? "page" : undefined} onClick={linkHandler(`/admin/${t}`)}>
          {label}
        </a>
      ))}
      <a href="/">Storefront</a>
      <button type="button" className="link" onClick={onLogout}>
        Log out
      </button>
    </nav>
  );
}
