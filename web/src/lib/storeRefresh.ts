// When the storefront looks at the store again: at `next_change_at` (the next
// time the hours open or close it), a little after so the server agrees, and
// never sooner than a second nor later than a timer can wait.

export const BACKSTOP_MS = 5 * 60_000;
const SLACK_MS = 1_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Milliseconds until the refetch for `nextChangeAt`, or null when there is none to wait for. */
export function refetchDelay(nextChangeAt: string | null | undefined, now: number): number | null {
  if (!nextChangeAt) return null;
  const at = Date.parse(nextChangeAt);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(at - now + SLACK_MS, SLACK_MS), MAX_TIMER_MS);
}
