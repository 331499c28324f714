import { afterEach, describe, expect, it, vi } from "vitest";
import { addDomain, createTenant, listTenants, logIn, removeDomain, setTenantSuspended, verifyDomain } from "../src/console/platformApi";
import { ApiError } from "../src/lib/api";

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

function stubFetch(status: number, body: unknown, headers: Record<string, string> = {}): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    calls.push({ url, method: init.method ?? "GET", headers: init.headers as Record<string, string>, body: init.body ? JSON.parse(String(init.body)) : undefined });
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
  });
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe("platform API calls", () => {
  it("logs in without a token and sends it afterwards", async () => {
    let calls = stubFetch(200, { access_token: "t" });
    expect(await logIn("ops@stelly.dev", "pw")).toEqual({ access_token: "t" });
    expect(calls[0]).toMatchObject({ url: "/api/v1/platform/auth/token", method: "POST", body: { email: "ops@stelly.dev", password: "pw" } });
    expect(calls[0].headers.authorization).toBeUndefined();

    calls = stubFetch(200, { items: [], next_cursor: null });
    await listTenants("t", "abc", 10);
    expect(calls[0].url).toBe("/api/v1/platform/tenants?limit=10&cursor=abc");
    expect(calls[0].headers.authorization).toBe("Bearer t");
  });

  it("names tenants and domains in the path, escaped", async () => {
    const calls = stubFetch(200, {});
    await createTenant("t", { slug: "taco", name: "Taco" });
    await setTenantSuspended("t", "taco", true);
    await setTenantSuspended("t", "taco", false);
    await addDomain("t", "taco", "taco-town.localhost");
    await verifyDomain("t", "taco", "taco-town.localhost");
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "POST /api/v1/platform/tenants",
      "POST /api/v1/platform/tenants/taco/suspend",
      "POST /api/v1/platform/tenants/taco/resume",
      "POST /api/v1/platform/tenants/taco/domains",
      "POST /api/v1/platform/tenants/taco/domains/taco-town.localhost/verify",
    ]);
    expect(calls[3].body).toEqual({ domain: "taco-town.localhost" });
  });

  it("removes a domain (204)", async () => {
    const calls = stubFetch(204, null);
    await expect(removeDomain("t", "taco", "a/b")).resolves.toBeUndefined();
    expect(calls[0]).toMatchObject({ method: "DELETE", url: "/api/v1/platform/tenants/taco/domains/a%2Fb" });
  });

  it("keeps a 429's Retry-After", async () => {
    stubFetch(429, { status: 429, code: "rate_limited" }, { "retry-after": "17" });
    const err = await logIn("a@b.c", "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).retryAfter).toBe(17);
  });
});
