// A tiny history router: the app has three kinds of pages.
import { useEffect, useState } from "react";

export type Route =
  | { page: "store" }
  | { page: "order"; id: number }
  | { page: "admin"; tab: "kitchen" | "menu" };

export function parseRoute(pathname: string): Route {
  const order = /^\/order\/(\d{1,12})\/?$/.exec(pathname);
  if (order) return { page: "order", id: Number(order[1]) };
  if (pathname === "/admin" || pathname.startsWith("/admin/")) {
    return { page: "admin", tab: pathname.startsWith("/admin/menu") ? "menu" : "kitchen" };
  }
  return { page: "store" };
}

/** `/api/docs` (the gateway sends it to the web app, not the menu service): the API reference page. */
export function isApiDocs(pathname: string): boolean {
  return pathname === "/api/docs" || pathname.startsWith("/api/docs/");
}

export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
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
