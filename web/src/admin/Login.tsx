import { useState } from "react";
import { api, errorText } from "../lib/api";
import type { Store } from "../lib/types";
import { unlockAudio } from "../sound";
import type { StaffSession } from "./session";

export function Login({ store, onLogin }: { store: Store; onLogin(s: StaffSession): void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    unlockAudio(); // the board's chime needs a user gesture first
    setBusy(true);
    setError(null);
    try {
      const res = await api<{ access_token: string; expires_in: number }>("/api/v1/auth/token", {
        method: "POST",
        body: { email: email.trim(), password },
      });
      onLogin({ token: res.access_token, email: email.trim(), expiresAt: Date.now() + res.expires_in * 1000 });
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  return (
    <main className="page narrow">
      <h1>{store.name} — staff</h1>
      <form className="card form" onSubmit={submit}>
        <label>
          E-mail
          <input name="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary wide" disabled={busy}>{busy ? "Logging in…" : "Log in"}</button>
      </form>
      <p><a href="/">Back to the storefront</a></p>
    </main>
  );
}
