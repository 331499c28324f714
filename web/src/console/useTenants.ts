// The tenants seen so far, a page at a time ("Load more" follows the server's cursor).
import { useCallback, useEffect, useState } from "react";
import { errorText } from "../lib/api";
import { listTenants } from "./platformApi";
import type { Tenant } from "./types";

export interface TenantsState {
  tenants: Tenant[];
  loading: boolean;
  error: string | null;
  hasMore: boolean;
  loadMore(): void;
  /** Put a tenant the server just returned in place (or first, when new). */
  upsert(t: Tenant): void;
}

export function useTenants(token: string): TenantsState {
  const [tenants, setTenants] = useState<Tenant[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (from: string | null) => {
      setLoading(true);
      setError(null);
      try {
        const page = await listTenants(token, from);
        setTenants((cur) => {
          const seen = new Set(cur.map((t) => t.slug));
          return from ? [...cur, ...page.items.filter((t) => !seen.has(t.slug))] : page.items;
        });
        setCursor(page.next_cursor);
        setHasMore(Boolean(page.next_cursor));
      } catch (err) {
        setError(errorText(err));
      } finally {
        setLoading(false);
      }
    },
    [token],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  const upsert = useCallback((t: Tenant) => {
    setTenants((cur) => (cur.some((x) => x.slug === t.slug) ? cur.map((x) => (x.slug === t.slug ? { ...x, ...t } : x)) : [t, ...cur]));
  }, []);

  return { tenants, loading, error, hasMore, loadMore: () => void load(cursor), upsert };
}
