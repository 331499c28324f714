// The public store object (`GET /api/v1/store`), kept current: refetched when
// the opening hours next change (`next_change_at`), on a `store.updated`
// event (the storefront hands those in), when the tab comes back, and every
// five minutes as a backstop.
import { useCallback, useEffect, useRef, useState } from "react";
import type { StoreUpdatedData } from "./lib/adminTypes";
import { api, errorText } from "./lib/api";
import { BACKSTOP_MS, refetchDelay } from "./lib/storeRefresh";
import type { Store } from "./lib/types";

export interface LiveStore {
  store: Store | null;
  error: string | null;
  /** Apply a `store.updated` event at once, then refetch the rest. */
  storeUpdated(data: StoreUpdatedData): void;
  /** Refetch now (e.g. after the server refused an order with `store_closed`). */
  refresh(): void;
}

export function useStore(): LiveStore {
  const [store, setStore] = useState<Store | null>(null);
  const [error, setError] = useState<string | null>(null);
  const loadedOnce = useRef(false);
  const latest = useRef(0);

  const load = useCallback(() => {
    const ticket = ++latest.current;
    api<Store>("/api/v1/store")
      .then((s) => {
        if (ticket !== latest.current) return; // a newer fetch is on its way
        // keep the object when nothing changed, so live connections stay up
        setStore((cur) => (cur && JSON.stringify(cur) === JSON.stringify(s) ? cur : s));
        if (!loadedOnce.current) document.title = s.name;
        loadedOnce.current = true;
      })
      .catch((err) => !loadedOnce.current && setError(errorText(err)));
  }, []);

  useEffect(() => {
    load();
    const timer = setInterval(load, BACKSTOP_MS);
    const onVisible = () => document.visibilityState === "visible" && load();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [load]);

  // the hours turn at `next_change_at`: look again then
  const nextChange = store?.next_change_at ?? null;
  useEffect(() => {
    const wait = refetchDelay(nextChange, Date.now());
    if (wait === null) return;
    const timer = setTimeout(load, wait);
    return () => clearTimeout(timer);
  }, [nextChange, load]);

  const storeUpdated = useCallback(
    (data: StoreUpdatedData) => {
      setStore((cur) => (cur && (cur.is_open !== data.is_open || cur.closed_now !== data.closed_now) ? { ...cur, is_open: data.is_open, closed_now: data.closed_now } : cur));
      load();
    },
    [load],
  );

  return { store, error, storeUpdated, refresh: load };
}
