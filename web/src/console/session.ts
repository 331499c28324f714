// The platform admin's session: its own slot, apart from the staff session
// (a staff token never opens the console, nor the console's a kitchen board).
const SLOT = "stelly.console";
const FALLBACK_LIFETIME_MS = 60 * 60 * 1000;

export interface ConsoleSession {
  token: string;
  email: string;
  expiresAt: number;
}

/** When the token stops working: `expires_in` if given, else the JWT's `exp`, else an hour. */
export function tokenExpiry(token: string, expiresIn: number | undefined, now = Date.now()): number {
  if (typeof expiresIn === "number" && expiresIn > 0) return now + expiresIn * 1000;
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const exp = (JSON.parse(atob(payload)) as { exp?: unknown }).exp;
    if (typeof exp === "number") return exp * 1000;
  } catch {
    // not a JWT we can read: fall through
  }
  return now + FALLBACK_LIFETIME_MS;
}

export function loadConsoleSession(now = Date.now()): ConsoleSession | null {
  try {
    const raw = sessionStorage.getItem(SLOT);
    if (!raw) return null;
    const s = JSON.parse(raw) as ConsoleSession;
    return s.token && s.expiresAt > now ? s : null;
  } catch {
    return null;
  }
}

export function saveConsoleSession(s: ConsoleSession | null): void {
  if (s) sessionStorage.setItem(SLOT, JSON.stringify(s));
  else sessionStorage.removeItem(SLOT);
}
