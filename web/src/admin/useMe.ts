// Who is logged in (`GET /api/v1/auth/me`): the role decides the nav and the route guard.
import { useEffect, useState } from "react";
import type { Me } from "../lib/adminTypes";
import { ApiError, api, errorText } from "../lib/api";

export type MeState = { kind: "loading" } | { kind: "ready"; me: Me } | { kind: "failed"; message: string };

export function useMe(token: string): MeState {
  const [state, setState] = useState<MeState>({ kind: "loading" });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ kind: "loading" });
    api<Me>("/api/v1/auth/me", { token, signal: ctl.signal })
      .then((me) => setState({ kind: "ready", me }))
      .catch((err) => {
        if (ctl.signal.aborted) return;
        // a 401 already sends the app back to the login
        if (!(err instanceof ApiError && err.status === 401)) setState({ kind: "failed", message: errorText(err) });
      });
    return () => ctl.abort();
  }, [token]);
  return state;
}
