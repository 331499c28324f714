import { describe, expect, it } from "vitest";
import { isConsoleHost, tenantBaseHost } from "../src/console/host";
import { formatLocalTime } from "../src/console/localTime";
import { certificateText, formProblems, loginProblem, reasonText } from "../src/console/messages";
import { domainsPath, parseConsoleRoute } from "../src/console/routes";
import { tokenExpiry } from "../src/console/session";
import { ApiError } from "../src/lib/api";

describe("console host", () => {
  it("is console.* and never a tenant's host", () => {
    expect(isConsoleHost("console.localhost")).toBe(true);
    expect(isConsoleHost("console.stelly.com")).toBe(true);
    expect(isConsoleHost("Console.Stelly.com")).toBe(true);
    expect(isConsoleHost("pizza.localhost")).toBe(false);
    expect(isConsoleHost("consoles.localhost")).toBe(false);
    expect(isConsoleHost("my-console.stelly.com")).toBe(false);
  });

  it("names the tenants' base host", () => {
    expect(tenantBaseHost("console.localhost:8080")).toBe("localhost:8080");
    expect(tenantBaseHost("console.stelly.com")).toBe("stelly.com");
  });
});

describe("console routes", () => {
  it("has the tenants and one tenant's domains", () => {
    expect(parseConsoleRoute("/")).toEqual({ page: "tenants" });
    expect(parseConsoleRoute("/tenants/taco/domains")).toEqual({ page: "domains", slug: "taco" });
    expect(parseConsoleRoute("/tenants/taco/domains/")).toEqual({ page: "domains", slug: "taco" });
    expect(parseConsoleRoute("/tenants/%E0%A4%A/domains")).toEqual({ page: "tenants" });
    expect(parseConsoleRoute("/admin")).toEqual({ page: "tenants" });
    expect(parseConsoleRoute(domainsPath("taco-1"))).toEqual({ page: "domains", slug: "taco-1" });
  });
});

describe("console session", () => {
  const jwt = (payload: object) => `h.${btoa(JSON.stringify(payload)).replace(/=+$/, "")}.s`;

  it("expires when the server says, else at the token's exp, else in an hour", () => {
    expect(tokenExpiry("x", 60, 1_000)).toBe(61_000);
    expect(tokenExpiry(jwt({ exp: 2_000 }), undefined, 1_000)).toBe(2_000_000);
    expect(tokenExpiry("not-a-jwt", undefined, 1_000)).toBe(1_000 + 3_600_000);
  });
});

describe("console messages", () => {
  const fields = ["slug", "name", "owner_email", "owner_password"];

  it("puts a known code next to its field, with the code", () => {
    const err = new ApiError(422, { status: 422, code: "invalid_slug", detail: "slug must be 3-30 lower-case letters" });
    expect(formProblems(err, fields)).toEqual({ fields: { slug: { code: "invalid_slug", message: "Slug must be 3-30 lower-case letters" } }, form: null });
    const taken = new ApiError(409, { status: 409, code: "tenant_exists" });
    expect(formProblems(taken, fields).fields.slug).toEqual({ code: "tenant_exists", message: "A tenant with this slug already exists." });
  });

  it("puts validation errors next to the fields they name", () => {
    const err = new ApiError(400, { status: 400, code: "validation_error", errors: [{ field: "body.owner_email", message: "not an e-mail" }] });
    expect(formProblems(err, fields)).toEqual({ fields: { owner_email: { code: "validation_error", message: "not an e-mail" } }, form: null });
  });

  it("keeps anything else for the form", () => {
    expect(formProblems(new ApiError(503, null), fields)).toEqual({ fields: {}, form: expect.stringMatching(/try again/) });
    expect(formProblems(new Error("boom"), fields).form).toMatch(/Something went wrong/);
    // a code whose field is not on this form
    expect(formProblems(new ApiError(422, { code: "invalid_domain" }), fields).fields).toEqual({});
  });

  it("says what a failed login means, with the wait after a 429", () => {
    expect(loginProblem(new ApiError(401, { code: "invalid_credentials" }))).toMatch(/do not match/);
    expect(loginProblem(new ApiError(429, { code: "rate_limited" }, 42))).toBe("Too many attempts. Try again in 42 seconds.");
    expect(loginProblem(new ApiError(429, { code: "rate_limited" }, 300))).toBe("Too many attempts. Try again in 5 minutes.");
    expect(loginProblem(new ApiError(429, null))).toMatch(/wait a moment/);
  });

  it("explains a pending domain and its certificate", () => {
    expect(reasonText("txt_missing")).toMatch(/TXT record was not found/);
    expect(reasonText("txt_mismatch")).toMatch(/not the one below/);
    expect(reasonText("dns_error")).toMatch(/could not be queried/);
    expect(reasonText("something_new")).toBe("something new");
    expect(certificateText(null)).toBeNull();
    expect(certificateText({ state: "pending" })).toBe("pending");
    expect(certificateText({ state: "approved", deployment_status: "in_progress" })).toBe("approved, deployment in progress");
  });
});

describe("console times", () => {
  it("shows an instant in the operator's zone", () => {
    expect(formatLocalTime("2026-12-01T16:05:00Z", "Europe/Berlin", "en-GB")).toBe("1 Dec 2026, 17:05");
    expect(formatLocalTime("2026-12-01T16:05:00Z", "America/New_York", "en-GB")).toBe("1 Dec 2026, 11:05");
    expect(formatLocalTime(null)).toBe("—");
    expect(formatLocalTime("not a time")).toBe("—");
  });
});
