import { useCallback, useEffect, useState } from "react";
import type { Me, PasswordReset, StaffUser } from "../lib/adminTypes";
import { api, errorText } from "../lib/api";
import { canManage, invitableRoles } from "../lib/roles";
import { CopyLink } from "./CopyLink";
import { InviteForm } from "./InviteForm";
import { StaffRow } from "./StaffRow";

/** Staff accounts: the owner manages everyone, a manager only the staff role. */
export function StaffPage({ token, me, timeZone }: { token: string; me: Me; timeZone: string }) {
  const [users, setUsers] = useState<StaffUser[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [reset, setReset] = useState<{ email: string; link: PasswordReset } | null>(null);

  const load = useCallback(() => {
    api<StaffUser[]>("/api/v1/admin/users", { token })
      .then((list) => setUsers(me.role === "owner" ? list : list.filter((u) => u.role === "staff")))
      .catch((err) => setError(errorText(err)));
  }, [token, me.role]);
  useEffect(load, [load]);

  async function act(user: StaffUser, action: "disable" | "enable" | "password-reset") {
    setError(null);
    try {
      if (action === "password-reset") {
        const link = await api<PasswordReset>(`/api/v1/admin/users/${user.id}/password-reset`, { method: "POST", token });
        setReset({ email: user.email, link });
        setStatus(`Password reset link for ${user.email} ready`);
        return;
      }
      const updated = await api<StaffUser>(`/api/v1/admin/users/${user.id}/${action}`, { method: "POST", token });
      setUsers((cur) => cur?.map((u) => (u.id === updated.id ? updated : u)) ?? null);
      setStatus(`${user.email} ${action === "disable" ? "disabled" : "enabled"}`);
    } catch (err) {
      setError(errorText(err));
      load();
    }
  }

  return (
    <main className="page staff-page">
      <h2>Staff accounts</h2>
      <p className="sr-only" role="status" aria-live="polite">{status}</p>
      <InviteForm token={token} timeZone={timeZone} roles={invitableRoles(me.role)} onInvited={(inv) => { setStatus(`${inv.user.email} invited`); load(); }} />
      {error && <p className="error" role="alert">{error}</p>}
      {reset && <CopyLink label={`Password reset link for ${reset.email}`} url={reset.link.reset_url} expiresAt={reset.link.expires_at} timeZone={timeZone} />}
      {!users && !error && <p role="status">Loading the accounts…</p>}
      {users && (
        <table className="data-table">
          <caption className="sr-only">Staff accounts</caption>
          <thead>
            <tr>
              <th scope="col">E-mail</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Last login</th>
              <th scope="col"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <StaffRow key={u.id} user={u} timeZone={timeZone} manageable={canManage(me.role, u, me.id)} onAction={(a) => void act(u, a)} />
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
