// Per-channel offset bookkeeping for resuming a realtime subscription (SPEC §4).
// Offsets are opaque, increasing strings; the server's are Redis stream ids
// (`<ms>-<seq>`), compared numerically part by part.

export function compareOffsets(a: string, b: string): number {
  const pa = a.split("-");
  const pb = b.split("-");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "0";
    const y = pb[i] ?? "0";
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) {
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  return 0;
}

/** The last offset seen on each channel: what a reconnect sends as `since`. */
export class OffsetBook {
  private readonly last = new Map<string, string>();

  get(channel: string): string | undefined {
    return this.last.get(channel);
  }

  /**
   * After `subscribed`. The server sends its stream's top offset, then (when
   * `recovered`) replays the missed events, which are at or below that top: so a
   * recovered subscription keeps its old position and lets the replay advance it,
   * while a fresh or unrecoverable one starts from the top (the owner refetches).
   */
  subscribed(channel: string, offset: string, recovered: boolean): void {
    if (recovered && this.last.has(channel)) return;
    this.last.set(channel, offset);
  }

  /** For an event: true when it is new (and records it), false for a duplicate or replay. */
  accept(channel: string, offset: string): boolean {
    const seen = this.last.get(channel);
    if (seen && compareOffsets(offset, seen) <= 0) return false;
    this.last.set(channel, offset);
    return true;
  }

  forget(channel: string): void {
    this.last.delete(channel);
  }
}

/** The first retry's ceiling (ms); each failed retry doubles it. */
export const RECONNECT_BASE_MS = 1_000;
/** The ceiling no retry waits past (ms). */
export const RECONNECT_CAP_MS = 15_000;
/**
 * After an abrupt loss (1006 with no close frame, or 1011 from the edge when the
 * replica vanished) every socket of that replica drops in the same instant and
 * nobody spread them: the ceiling is this many times wider (5 s for the first retry). A 1012 from a
 * draining replica was already spread by the server over its close window.
 */
export const ABRUPT_SPREAD = 5;

/** Whether a close code means the server went away without spreading its sockets. */
export function isAbruptClose(code: number | undefined): boolean {
  return code === 1006 || code === 1011;
}

/**
 * Reconnect delay in ms, "full jitter": uniform in [0, min(cap, base * 2^attempt)].
 * Used after every close, 1012 included, and for the very first retry too: when a
 * replica lets its sockets go (or dies), no two tabs should come back in step. With
 * no floor the average wait is half the ceiling, and the spread is the widest.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random, abrupt = false): number {
  const exponential = RECONNECT_BASE_MS * 2 ** Math.min(Math.max(attempt, 0), 16);
  const ceiling = Math.min(RECONNECT_CAP_MS, abrupt ? exponential * ABRUPT_SPREAD : exponential);
  return Math.floor(random() * ceiling);
}

/**
 * The WebSocket URL to use: the store's `realtime_url`, except that a URL on
 * this page's host name without a port gets the page's port (locally the menu
 * service may omit it), and an empty or broken one falls back to this host.
 */
export function resolveRealtimeUrl(realtimeUrl: string | undefined, page: { protocol: string; host: string; hostname: string; port: string }): string {
  const scheme = page.protocol === "https:" ? "wss:" : "ws:";
  const fallback = `${scheme}//${page.host}/ws/v1`;
  if (!realtimeUrl) return fallback;
  let url: URL;
  try {
    url = new URL(realtimeUrl);
  } catch {
    return fallback;
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") return fallback;
  if (url.hostname === page.hostname && !url.port && page.port) url.port = page.port;
  return url.toString();
}
