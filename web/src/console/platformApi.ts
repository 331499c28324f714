// Typed calls to the platform API (SPEC §10) on the console's own host.
import { api } from "../lib/api";
import type { Domain, NewTenant, PlatformToken, Tenant, TenantPage } from "./types";

const BASE = "/api/v1/platform";
export const TENANTS_PAGE_SIZE = 25;

const seg = encodeURIComponent;

export function logIn(email: string, password: string): Promise<PlatformToken> {
  return api<PlatformToken>(`${BASE}/auth/token`, { method: "POST", body: { email, password } });
}

export function listTenants(token: string, cursor: string | null, limit = TENANTS_PAGE_SIZE): Promise<TenantPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set("cursor", cursor);
  return api<TenantPage>(`${BASE}/tenants?${query}`, { token });
}

export function createTenant(token: string, tenant: NewTenant): Promise<Tenant> {
  return api<Tenant>(`${BASE}/tenants`, { method: "POST", body: tenant, token });
}

export function setTenantSuspended(token: string, slug: string, suspended: boolean): Promise<Tenant> {
  const action = suspended ? "suspend" : "resume";
  return api<Tenant>(`${BASE}/tenants/${seg(slug)}/${action}`, { method: "POST", token });
}

export function listDomains(token: string, slug: string): Promise<Domain[]> {
  return api<Domain[]>(`${BASE}/tenants/${seg(slug)}/domains`, { token });
}

export function addDomain(token: string, slug: string, domain: string): Promise<Domain> {
  return api<Domain>(`${BASE}/tenants/${seg(slug)}/domains`, { method: "POST", body: { domain }, token });
}

export function verifyDomain(token: string, slug: string, domain: string): Promise<Domain> {
  return api<Domain>(`${BASE}/tenants/${seg(slug)}/domains/${seg(domain)}/verify`, { method: "POST", token });
}

export function removeDomain(token: string, slug: string, domain: string): Promise<void> {
  return api<void>(`${BASE}/tenants/${seg(slug)}/domains/${seg(domain)}`, { method: "DELETE", token });
}
