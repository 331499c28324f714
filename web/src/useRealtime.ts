// React glue over the framework-free RealtimeClient.
import { useEffect, useRef, useState } from "react";
import { resolveRealtimeUrl } from "./lib/offsets";
import { type ConnectionState, RealtimeClient, type Subscription } from "./lib/realtime";

declare global {
  interface Window {
    /** For tests and support: drop the live connection as a network failure would. */
    stellyRealtime?: { drop(): void };
  }
}

/** One connection per page to the store's realtime URL; reconnects on its own. */
export function useRealtimeClient(realtimeUrl: string | undefined): { client: RealtimeClient | null; state: ConnectionState } {
  const [client, setClient] = useState<RealtimeClient | null>(null);
  const [state, setState] = useState<ConnectionState>("connecting");
  useEffect(() => {
    if (realtimeUrl === undefined) return;
    const c = new RealtimeClient({ url: resolveRealtimeUrl(realtimeUrl, location), onState: setState });
    c.start();
    setClient(c);
    window.stellyRealtime = { drop: () => c.drop() };
    return () => {
      c.stop();
      setClient(null);
    };
  }, [realtimeUrl]);
  return { client, state };
}

/** Subscribe to a channel while mounted; handlers may change without resubscribing. */
export function useChannel(client: RealtimeClient | null, channel: string | null, token: string | undefined, handlers: Omit<Subscription, "channel" | "token">): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!client || !channel) return;
    client.subscribe({
      channel,
      token,
      onEvent: (e) => ref.current.onEvent(e),
      onSubscribed: (r, f) => ref.current.onSubscribed?.(r, f),
      onError: (code) => ref.current.onError?.(code),
    });
    return () => client.unsubscribe(channel);
  }, [client, channel, token]);
}
