import { useState } from "react";
import { loginProblem } from "./messages";
import { logIn } from "./platformApi";
import { type ConsoleSession, tokenExpiry } from "./session";

export function ConsoleLogin({ onLogin }: { onLogin(s: ConsoleSession): void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await logIn(email.trim(), password);
      onLogin({ token: res.access_token, email: email.trim(), expiresAt: tokenExpiry(res.access_token, res.expires_in) });
    } catch (err) {
      setError(loginProblem(err));
      setBusy(false);
    }
  }

  return (
    <main className="page narrow">
      <h1>Stelly console</h1>
      <p className="muted">For Stelly's platform admins. Restaurant staff log in on their restaurant's own address.</p>
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
    </main>
  );
}
