// The console's names for the platform API's wire types (SPEC §10): aliases of
// the types generated from the platform service's OpenAPI document
// (`make openapi` writes ../lib/api/platform.ts), so `tsc` checks the console
// against the real contract.
import type { components } from "../lib/api/platform";

type Schemas = components["schemas"];

export type Tenant = Schemas["TenantOut"];
export type TenantStatus = Tenant["status"];
export type TenantPage = Schemas["TenantPage"];
export type NewTenant = Schemas["TenantCreate"];
export type Domain = Schemas["DomainOut"];
export type DnsRecord = Schemas["DnsRecord"];
export type Certificate = Schemas["CertificateOut"];
export type PlatformToken = Schemas["TokenResponse"];
