// A realtime client for /ws/v1 (SPEC §4), free of React: it subscribes,
// remembers offsets, and after any close (1012 from a restarting replica, 1013,
// a dropped network) reconnects after a full-jitter delay and resumes with
// `since`. The backoff starts over only once a subscription is served, so a
// server that accepts and closes at once does not get a retry every half second.
import { isAbruptClose, OffsetBook, reconnectDelay } from "./offsets";

export interface RealtimeEvent {
  channel: string;
  offset: string;
  type: string;
  data: unknown;
}

export interface Subscription {
  channel: string;
  token?: string;
  onEvent(event: RealtimeEvent): void;
  /** `recovered` false: events may be missing, refetch over REST. Also on the first subscribe. */
  onSubscribed?(recovered: boolean, first: boolean): void;
  onError?(code: string): void;
}

export type ConnectionState = "connecting" | "open" | "closed";

interface SocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number): void;
}

export type SocketFactory = (url: string) => SocketLike;

export interface RealtimeOptions {
  url: string;
  socket?: SocketFactory;
  onState?(state: ConnectionState): void;
  schedule?(fn: () => void, ms: number): unknown;
  cancel?(handle: unknown): void;
  /** Uniform in [0, 1): the jitter's source (tests fix it). */
  random?(): number;
}

/** Errors that no retry can fix: the subscription is dropped and its owner told. */
const FATAL = new Set(["token_required", "invalid_token", "token_wrong_tenant", "invalid_channel"]);

export class RealtimeClient {
  readonly offsets = new OffsetBook();
  private readonly subs = new Map<string, Subscription>();
  private readonly subscribedOnce = new Set<string>();
  private ws: SocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = false;
  private readonly opts: Required<Omit<RealtimeOptions, "onState">> & Pick<RealtimeOptions, "onState">;

  constructor(options: RealtimeOptions) {
    this.opts = {
      socket: (url) => new WebSocket(url) as unknown as SocketLike,
      schedule: (fn, ms) => setTimeout(fn, ms),
      cancel: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      random: Math.random,
      ...options,
    };
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.opts.cancel(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close(1000);
    }
    this.opts.onState?.("closed");
  }

  subscribe(sub: Subscription): void {
    this.subs.set(sub.channel, sub);
    if (this.ws && this.ws.readyState === 1) this.sendSubscribe(sub);
  }

  unsubscribe(channel: string): void {
    this.subs.delete(channel);
    this.subscribedOnce.delete(channel);
    this.offsets.forget(channel);
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify({ op: "unsubscribe", channel }));
  }

  /** Drop the socket as if the network did (tests and the "reconnect" button use it). */
  drop(): void {
    this.ws?.close(4000);
  }

  private connect(): void {
    if (this.stopped) return;
    this.opts.onState?.("connecting");
    let ws: SocketLike;
    try {
      ws = this.opts.socket(this.opts.url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.opts.onState?.("open");
      for (const sub of this.subs.values()) this.sendSubscribe(sub);
    };
    ws.onmessage = (ev) => this.handle(String(ev.data));
    ws.onerror = () => undefined;
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.opts.onState?.("closed");
      this.retry(isAbruptClose((ev as { code?: number } | undefined)?.code));
    };
  }

  private retry(abrupt = false): void {
    if (this.stopped) return;
    const delay = reconnectDelay(this.attempt++, this.opts.random, abrupt);
    this.timer = this.opts.schedule(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  private sendSubscribe(sub: Subscription): void {
    const since = this.offsets.get(sub.channel);
    const frame: Record<string, string> = { op: "subscribe", channel: sub.channel };
    if (sub.token) frame.token = sub.token;
    if (since) frame.since = since;
    this.ws?.send(JSON.stringify(frame));
  }

  private handle(text: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const channel = typeof frame.channel === "string" ? frame.channel : undefined;
    const sub = channel ? this.subs.get(channel) : undefined;
    if (frame.op === "subscribed" && sub && channel) {
      this.attempt = 0; // served: the next drop starts the backoff over
      const hadOffset = this.offsets.get(channel) !== undefined;
      const recovered = hadOffset && frame.recovered === true;
      this.offsets.subscribed(channel, String(frame.offset), recovered);
      const first = !this.subscribedOnce.has(channel);
      this.subscribedOnce.add(channel);
      sub.onSubscribed?.(recovered, first);
    } else if (frame.op === "event" && sub && channel) {
      const offset = String(frame.offset);
      if (!this.offsets.accept(channel, offset)) return;
      sub.onEvent({ channel, offset, type: String(frame.type), data: frame.data });
    } else if (frame.op === "error") {
      const code = String(frame.code);
      if (sub && channel && code === "invalid_offset") {
        // our resume point is unusable: start afresh (the owner refetches on `subscribed`)
        this.offsets.forget(channel);
        this.sendSubscribe(sub);
        return;
      }
      if (sub && channel && code === "unavailable") {
        // the server could not reach its stream store: ask again shortly, same `since`
        this.opts.schedule(() => {
          if (this.subs.get(channel) === sub) this.sendSubscribe(sub);
        }, reconnectDelay(1, this.opts.random));
      }
      if (sub && channel && FATAL.has(code)) this.subs.delete(channel);
      const targets = sub ? [sub] : [...this.subs.values()];
      for (const t of targets) t.onError?.(code);
    }
  }
}
