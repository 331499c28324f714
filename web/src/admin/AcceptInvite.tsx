import { useState } from "react";
import type { Me, TokenResponse } from "../lib/adminTypes";
import { ApiError, api, errorText } from "../lib/api";
import type { Store } from "../lib/types";
import { navigate } from "../router";
import { saveSession } from "./session";

const MIN_PASSWORD = 8;

/** `/admin/accept?token=…` (an invitation or a password reset): choose a password, then you are logged in. */
export function AcceptInvite({ store, token }: { store: Store; token: string }) {
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (password.length < MIN_PASSWORD) return setError(`Choose a password of at least ${MIN_PASSWORD} characters.`);
    if (password !== repeat) return setError("The two passwords are not the same.");
    setBusy(true);
    setError(null);
    try {
      const res = await api<TokenResponse>("/api/v1/auth/accept", { method: "POST", body: { token, password } });
      const me = await api<Me>("/api/v1/auth/me", { token: res.access_token });
      saveSession({ token: res.access_token, email: me.email, expiresAt: Date.now() + res.expires_in * 1000 });
      navigate("/admin/kitchen");
    } catch (err) {
      // here `invalid_token` is the link, not a session
      setError(err instanceof ApiError && err.code === "invalid_token" ? "This link has expired or was already used. Ask for a new one." : errorText(err));
      setBusy(false);
    }
  }

  return (
    <main className="page narrow">
      <h1>{store.name} — set your password</h1>
      {!token ? (
        <p role="alert" className="error">This link is incomplete. Open the whole link from your invitation, or ask for a new one.</p>
      ) : (
        <form className="card form" onSubmit={submit} noValidate>
          <p>Choose the password for your staff account. You are logged in right after.</p>
          <label>
            New password
            <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} minLength={MIN_PASSWORD} required />
          </label>
          <label>
            Repeat the password
            <input type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} required />
          </label>
          {error && <p className="error" role="alert">{error}</p>}
          <button type="submit" className="primary wide" disabled={busy}>{busy ? "Saving…" : "Set password and log in"}</button>
        </form>
      )}
      <p><a href="/admin">Staff login</a></p>
    </main>
  );
}
