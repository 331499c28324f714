// The published menu, refetched when the `menu` channel says it changed.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorText } from "../lib/api";
import type { StoreUpdatedData } from "../lib/adminTypes";
import type { RealtimeClient } from "../lib/realtime";
import type { Menu } from "../lib/types";
import { useChannel } from "../useRealtime";

/**
 * `onStoreUpdated` hears `store.updated` (opening state), which shares the
 * `menu` channel; `onResync` is called whenever events may have been missed,
 * so the store object can be refetched too.
 */
export function useMenu(
  client: RealtimeClient | null,
  onStoreUpdated?: (data: StoreUpdatedData) => void,
  onResync?: () => void,
): { menu: Menu | null; error: string | null } {
  const [menu, setMenu] = useState<Menu | null>(null);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);

  const load = useCallback(() => {
    const ticket = ++latest.current;
    api<Menu>("/api/v1/store/menu")
      .then((m) => {
        if (ticket !== latest.current) return; // a newer fetch is on its way
        setMenu(m);
        setError(null);
      })
      .catch((err) => ticket === latest.current && setError(errorText(err)));
  }, []);

  useEffect(load, [load]);

  useChannel(client, "menu", undefined, {
    onEvent: (e) => {
      if (e.type === "menu.updated" || e.type === "image.ready") load();
      if (e.type === "store.updated") onStoreUpdated?.(e.data as StoreUpdatedData);
    },
    // the first subscription (a change may have landed between the first load and
    // it), or a resume that could not replay what we missed: revalidate (a 304 by ETag)
    onSubscribed: (recovered) => {
      if (recovered) return;
      load();
      onResync?.();
    },
  });

  return { menu, error };
}
