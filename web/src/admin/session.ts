// The staff session: the access token for this tab, forgotten at logout or on a 401.
const SLOT = "stelly.staff";

export interface StaffSession {
  token: string;
  email: string;
  expiresAt: number;
}

export function loadSession(now = Date.now()): StaffSession | null {
  try {
    const raw = sessionStorage.getItem(SLOT);
    if (!raw) return null;
    const s = JSON.parse(raw) as StaffSession;
    return s.token && s.expiresAt > now ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s: StaffSession | null): void {
  if (s) sessionStorage.setItem(SLOT, JSON.stringify(s));
  else sessionStorage.removeItem(SLOT);
}
