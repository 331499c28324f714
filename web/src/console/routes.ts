// The console's two pages: the tenants and one tenant's domains.

export type ConsoleRoute = { page: "tenants" } | { page: "domains"; slug: string };

export function parseConsoleRoute(pathname: string): ConsoleRoute {
  const m = /^\/tenants\/([^/]+)\/domains\/?$/.exec(pathname);
  if (m) {
    try {
      return { page: "domains", slug: decodeURIComponent(m[1]) };
    } catch {
      return { page: "tenants" };
    }
  }
  return { page: "tenants" };
}

export function domainsPath(slug: string): string {
  return `/tenants/${encodeURIComponent(slug)}/domains`;
}
