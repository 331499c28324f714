import { useState } from "react";
import type { Invitation, Role } from "../lib/adminTypes";
import { api, errorText } from "../lib/api";
import { CopyLink } from "./CopyLink";

/** Invite by e-mail with a role; shows the link to send (no e-mail goes out from here). */
interface Props {
  token: string;
  roles: Role[];
  timeZone: string;
  onInvited(inv: Invitation): void;
}

export function InviteForm({ token, roles, timeZone, onInvited }: Props) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>(roles[roles.length - 1] ?? "staff");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<Invitation | null>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) return setError("Enter an e-mail address like name@example.com.");
    setBusy(true);
    setError(null);
    try {
      const inv = await api<Invitation>("/api/v1/admin/users/invitations", { method: "POST", token, body: { email: email.trim(), role } });
      setSent(inv);
      setEmail("");
      onInvited(inv);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="invite-h">
      <h3 id="invite-h">Invite someone</h3>
      <form className="inline-form" onSubmit={submit} noValidate>
        <label>
          E-mail
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" required />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => <option key={r} value={r}>{r === "manager" ? "Manager" : "Staff"}</option>)}
          </select>
        </label>
        <button type="submit" className="primary" disabled={busy}>{busy ? "Inviting…" : "Invite"}</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {sent && <CopyLink label={`Invitation link for ${sent.user.email}`} url={sent.invite_url} expiresAt={sent.expires_at} timeZone={timeZone} />}
    </section>
  );
}
