// The console lives on its own host, `console.{base domain}`, never a tenant's.

/** Whether this page is the platform console rather than a tenant's storefront. */
export function isConsoleHost(hostname: string): boolean {
  return hostname.toLowerCase().startsWith("console.");
}

/** The tenants' base host seen from the console's: `console.localhost:8080` → `localhost:8080`. */
export function tenantBaseHost(consoleHost: string): string {
  return consoleHost.replace(/^console\./i, "");
}
