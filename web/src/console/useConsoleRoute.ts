import { useEffect, useState } from "react";
import { type ConsoleRoute, parseConsoleRoute } from "./routes";

export function useConsoleRoute(): ConsoleRoute {
  const [route, setRoute] = useState(() => parseConsoleRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseConsoleRoute(location.pathname));
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}
