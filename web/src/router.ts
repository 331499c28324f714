// A tiny history router: the app has three kinds of pages.
import { useEffect, useState } from "react";

export type Route =
  | { page: "store" }
  | { page: "order"; id: number }
  | { page: "admin"; tab: AdminTab }
  | { page: "accept"; token: string };

/** The staff app's pages under `/admin/…` (`/admin` itself is the kitchen board). */
export const ADMIN_TABS = ["kitchen", "menu", "hours", "history", "reports", "staff"] as const;
export type AdminTab = (typeof ADMIN_TABS)[number];

export function parseRoute(pathname: string, search = ""): Route {
  const order = /^\/order\/(\d{1,12})\/?$/.exec(pathname);
  if (order) return { page: "order", id: Number(order[1]) };
  if (/^\/admin\/(accept|reset)\/?$/.test(pathname)) {
    return { page: "accept", token: new URLSearchParams(search).get("token") ?? "" };
  }
  if (pathname === "/admin" || pathname.startsWith("/admin/")) {
    const tab = ADMIN_TABS.find((t) => pathname === `/admin/${t}` || pathname.startsWith(`/admin/${t}/`));
    return { page: "admin", tab: tab ?? "kitchen" };
  }
  return { page: "store" };
}

/** `/api/docs` (the gateway sends it to the web app, not the menu service): the API reference page. */
export function isApiDocs(pathname: string): boolean {
  return pathname === "/api/docs" || pathname.startsWith("/api/docs/");
}

export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname, location.search));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname, location.search));
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}

/** An in-app link: a real `<a href>` (keyboard, new tab) that navigates without reload. */
export function linkHandler(path: string) {
  return (e: React.MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(path);
  };
}
