// The platform API's problems in words for the operator, and where on a form each belongs.
import { ApiError, errorText } from "../lib/api";
import type { Certificate } from "./types";

export interface FieldProblem {
  code: string;
  message: string;
}

/** Per-field problems (keyed by the request's field name) and whatever belongs to no field. */
export interface FormProblems {
  fields: Record<string, FieldProblem>;
  form: string | null;
}

// `message: null`: the server's own detail says it best (it names the rule that was broken)
const FIELD_OF_CODE: Record<string, { field: string; message: string | null }> = {
  invalid_slug: { field: "slug", message: null },
  tenant_exists: { field: "slug", message: "A tenant with this slug already exists." },
  invalid_tenant: { field: "owner_email", message: null },
  invalid_domain: { field: "domain", message: "Enter a host name such as order.example.com." },
  domain_taken: { field: "domain", message: "This domain is already attached to a tenant." },
  domain_not_allowed: { field: "domain", message: null },
};

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `body.owner_email` → `owner_email` (validation errors name fields by their path). */
function fieldName(path: string): string {
  return path.replace(/^(body|data)\./, "").split(".")[0];
}

/** Split a failed request into messages next to the fields it names and one for the form. */
export function formProblems(err: unknown, fields: readonly string[]): FormProblems {
  if (!(err instanceof ApiError)) return { fields: {}, form: errorText(err) };
  const code = err.code;
  const known = code ? FIELD_OF_CODE[code] : undefined;
  if (code && known && fields.includes(known.field)) {
    const message = known.message ?? (err.problem?.detail ? sentence(err.problem.detail) : err.message);
    return { fields: { [known.field]: { code, message } }, form: null };
  }
  const out: Record<string, FieldProblem> = {};
  for (const e of err.problem?.errors ?? []) {
    const name = fieldName(e.field);
    if (fields.includes(name) && !out[name]) out[name] = { code: code ?? "validation_error", message: e.message };
  }
  if (Object.keys(out).length) return { fields: out, form: null };
  return { fields: {}, form: err.message };
}

/** The login's failure: a clear sentence for 401, and how long to wait after a 429. */
export function loginProblem(err: unknown): string {
  if (err instanceof ApiError && err.status === 401) return "That e-mail and password do not match a platform admin.";
  if (err instanceof ApiError && err.status === 429) {
    const wait = err.retryAfter;
    return wait ? `Too many attempts. Try again in ${waitText(wait)}.` : "Too many attempts. Please wait a moment and try again.";
  }
  return errorText(err);
}

function waitText(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

const REASONS: Record<string, string> = {
  txt_missing: "The TXT record was not found yet. DNS changes can take a while to show; try again later.",
  txt_mismatch: "A TXT record was found, but its value is not the one below. Correct it and verify again.",
  dns_error: "DNS could not be queried just now. Try again in a moment.",
  frontdoor_error: "The TXT record is right, but the edge could not take the domain yet. Verify again in a few minutes.",
};

/** Why a domain is still pending, in words (unknown reasons as they came). */
export function reasonText(reason: string): string {
  return REASONS[reason] ?? reason.replace(/_/g, " ");
}

/** A custom domain's certificate (Azure Front Door's managed one) as a few words, when there is one. */
export function certificateText(certificate: Certificate | null | undefined): string | null {
  if (!certificate) return null;
  const words = (s: string) => s.replace(/_/g, " ");
  const deployment = certificate.deployment_status ? `, deployment ${words(certificate.deployment_status)}` : "";
  return `${words(certificate.state)}${deployment}`;
}
