// The platform console in real headless Chromium through the gateway of the
// stack `make run` starts: the operator logs in on console.localhost, creates
// a tenant with an owner, attaches a custom domain (in development a
// `*.localhost` domain verifies without DNS), the domain serves that tenant,
// and once removed it is 404 `tenant_not_found`. A tenant owner's token does
// not open the console. Screenshots go to web/test-results/.
//
// Rerunnable: a stack started here is new each run, so the tenant is `taco`
// and the domain `taco-town.localhost`; against a stack that is already up
// (STELLY_E2E_PORT) both get a random suffix, since `taco` may exist there.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { axeViolations } from "./a11y.mjs";
import { launch } from "./browser.mjs";
import { watchSecurity } from "./security.mjs";
import { REPO, startStack } from "./stack.mjs";

const SHOTS = join(REPO, "web", "test-results");
mkdirSync(SHOTS, { recursive: true });

// the platform admin `stelly dev` seeds in development (cli/src/stelly_cli/platform_admin.py)
const ADMIN_EMAIL = "admin@stelly.localhost";
const ADMIN_PASSWORD = "stelly-demo";

const suffix = process.env.STELLY_E2E_PORT ? `-${randomBytes(3).toString("hex")}` : "";
const SLUG = `taco${suffix}`;
const TENANT_NAME = "Taco Town";
const DOMAIN = `taco-town${suffix}.localhost`;
const OWNER_EMAIL = `owner@${SLUG}.example`;
const OWNER_PASSWORD = "taco-owner-pass-1";

let stack;
let browser;
let operator; // the operator's page, logged in
let security;

/** An HTTP request to the gateway for `host` (fetch may not set `Host`; Node need not resolve *.localhost). */
function gateway(host, method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const all = { ...headers, host: `${host}:${stack.port}`, accept: "application/json" };
    if (data) all["content-type"] = "application/json";
    const req = request({ host: "127.0.0.1", port: stack.port, method, path, headers: all }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        let json = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode, headers: res.headers, json, text });
      });
    });
    req.on("error", reject);
    req.end(data);
  });
}

/** Poll `check` until it returns true; fail with the last answer after `ms`. */
async function eventually(check, ms, what) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last === true) return Date.now();
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what} did not happen within ${ms} ms (last: ${JSON.stringify(last)})`);
}

async function assertAccessible(page, where) {
  assert.deepEqual(await axeViolations(page), [], `accessibility problems on ${where}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe("platform console", { timeout: 240_000 }, () => {
  let base;

  before(async () => {
    stack = await startStack();
    base = `http://console.localhost:${stack.port}`;
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("refuses a wrong password with a clear message, then logs the platform admin in", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, permissions: ["clipboard-read", "clipboard-write"] });
    security = await watchSecurity(ctx, stack.port);
    operator = await ctx.newPage();
    const errors = [];
    const scripts = [];
    operator.on("pageerror", (e) => errors.push(String(e)));
    operator.on("request", (r) => r.resourceType() === "script" && scripts.push(r.url()));
    await operator.goto(base);
    await operator.getByRole("heading", { name: "Stelly console", level: 1 }).waitFor();
    assert.ok(scripts.some((u) => /ConsoleApp/.test(u)), `the console's own chunk: ${scripts.join(", ")}`);
    await operator.getByLabel("E-mail").fill(ADMIN_EMAIL);
    await operator.getByLabel("Password").fill("not the password");
    await operator.getByRole("button", { name: "Log in" }).click();
    await operator.getByRole("alert").filter({ hasText: "That e-mail and password do not match a platform admin." }).waitFor();
    await shot(operator, "console-login");
    await assertAccessible(operator, "the console login");

    // a 429 says how long to wait, from its Retry-After. The refusal is the one the
    // service sends after 10 failures (services/platform's login limit), answered here by
    // the browser: reaching it for real costs ten argon2 checks, ~10 s on this machine.
    const tooMany = (route) =>
      route.fulfill({
        status: 429,
        headers: { "content-type": "application/problem+json", "retry-after": "42" },
        body: JSON.stringify({ type: "about:blank", title: "Too Many Requests", status: 429, code: "too_many_attempts" }),
      });
    await operator.route("**/api/v1/platform/auth/token", tooMany);
    await operator.getByRole("button", { name: "Log in" }).click();
    await operator.getByRole("alert").filter({ hasText: "Too many attempts. Try again in 42 seconds." }).waitFor();
    await operator.unroute("**/api/v1/platform/auth/token", tooMany);

    await operator.getByLabel("Password").fill(ADMIN_PASSWORD);
    await operator.getByRole("button", { name: "Log in" }).click();
    await operator.getByRole("heading", { name: "Tenants", level: 1 }).waitFor();
    await operator.locator("table.tenants tbody tr").first().waitFor();
    assert.deepEqual(errors, [], "page errors");
  });

  it("creates a tenant with an owner, showing the server's code next to a wrong slug", async () => {
    const form = operator.getByRole("form", { name: "New tenant" });
    await form.getByLabel("Slug").fill("Not A Slug!");
    await form.getByLabel("Name", { exact: true }).fill(TENANT_NAME);
    await form.getByRole("button", { name: "Create tenant" }).click();
    const slugError = form.locator("#new-tenant-slug-error");
    await slugError.filter({ hasText: "invalid_slug" }).waitFor();
    assert.equal(await form.getByLabel("Slug").getAttribute("aria-invalid"), "true");
    await assertAccessible(operator, "the new tenant form with an error");

    await form.getByLabel("Slug").fill(SLUG);
    await form.getByLabel("Owner e-mail").fill(OWNER_EMAIL);
    await form.getByLabel("Owner password").fill(OWNER_PASSWORD);
    const created = operator.waitForResponse((r) => r.url().endsWith("/api/v1/platform/tenants") && r.request().method() === "POST");
    await form.getByRole("button", { name: "Create tenant" }).click();
    assert.equal((await created).status(), 201);
    const row = operator.locator(`table.tenants tr[data-slug="${SLUG}"]`);
    await row.getByText(TENANT_NAME).waitFor();
    await row.getByText("Active").waitFor();
    await operator.getByRole("status").filter({ hasText: `Tenant ${SLUG} created.` }).waitFor();
    // the last order's time says whose clock it is
    await operator.getByRole("columnheader", { name: /Last order \(your time, / }).waitFor();

    // the same slug again is `tenant_exists`, next to the field
    await form.getByLabel("Slug").fill(SLUG);
    await form.getByLabel("Name", { exact: true }).fill(TENANT_NAME);
    await form.getByRole("button", { name: "Create tenant" }).click();
    await slugError.filter({ hasText: "tenant_exists" }).waitFor();
    await shot(operator, "console-tenants");
    await assertAccessible(operator, "the tenants page");
  });

  it("suspends and resumes a tenant after a confirmation", async () => {
    const row = operator.locator(`table.tenants tr[data-slug="${SLUG}"]`);
    await row.getByRole("button", { name: `Suspend ${SLUG}` }).click();
    const dialog = operator.getByRole("dialog", { name: `Suspend ${TENANT_NAME}?` });
    await dialog.waitFor();
    await assertAccessible(operator, "the suspend confirmation");
    await shot(operator, "console-suspend");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    await row.getByText("Active").waitFor();

    await row.getByRole("button", { name: `Suspend ${SLUG}` }).click();
    await dialog.getByRole("button", { name: "Suspend" }).click();
    await row.getByText("Suspended").waitFor();
    await eventually(async () => {
      const res = await gateway(`${SLUG}.localhost`, "GET", "/api/v1/store");
      return res.json?.code === "tenant_suspended" || res.json?.code;
    }, 10_000, "the suspended storefront refusing");

    await row.getByRole("button", { name: `Resume ${SLUG}` }).click();
    await operator.getByRole("dialog", { name: `Resume ${TENANT_NAME}?` }).getByRole("button", { name: "Resume" }).click();
    await row.getByText("Active").waitFor();
    await eventually(async () => (await gateway(`${SLUG}.localhost`, "GET", "/api/v1/store")).status === 200 || "not yet", 10_000, "the resumed storefront answering");
  });

  it("attaches a custom domain that serves the tenant once verified, and 404s once removed", async () => {
    await operator.locator(`table.tenants tr[data-slug="${SLUG}"]`).getByRole("link", { name: `Domains of ${SLUG}` }).click();
    await operator.getByRole("heading", { name: `Domains of ${SLUG}`, level: 1 }).waitFor();
    // Stelly's own names are refused, next to the field
    await operator.getByLabel("Domain", { exact: true }).fill("console.localhost");
    await operator.getByRole("button", { name: "Add domain" }).click();
    await operator.locator("#add-domain-error").filter({ hasText: "domain_not_allowed" }).waitFor();
    await operator.getByLabel("Domain", { exact: true }).fill(DOMAIN);
    await operator.getByRole("button", { name: "Add domain" }).click();
    const card = operator.locator(`li.domain[data-domain="${DOMAIN}"]`);
    await card.waitFor();
    await card.getByTestId("domain-status").filter({ hasText: "Pending" }).waitFor();
    // the records to create, each with a copy button that copies its value
    const txt = card.locator('tr[data-type="TXT"]');
    await txt.waitFor();
    await card.locator('tr[data-type="CNAME"]').waitFor();
    const value = await txt.locator("code.value").innerText();
    await txt.getByRole("button", { name: /^Copy the TXT value/ }).click();
    await txt.getByRole("status").filter({ hasText: "Copied" }).waitFor();
    assert.equal(await operator.evaluate(() => navigator.clipboard.readText()), value);
    // until verified, the domain serves nobody
    assert.equal((await gateway(DOMAIN, "GET", "/api/v1/store")).status, 404);
    await shot(operator, "console-domain-pending");
    await assertAccessible(operator, "the domains page");

    await card.getByRole("button", { name: `Verify ${DOMAIN}` }).click();
    await card.getByTestId("domain-status").filter({ hasText: "Verified" }).waitFor();
    await eventually(async () => {
      const res = await gateway(DOMAIN, "GET", "/api/v1/store");
      return (res.status === 200 && res.json?.name === TENANT_NAME) || `${res.status} ${res.text.slice(0, 120)}`;
    }, 10_000, `${DOMAIN} serving ${SLUG}`);
    await shot(operator, "console-domain-verified");

    // the storefront itself, in Chromium, on the custom domain
    const shopper = await browser.newPage();
    const scripts = [];
    shopper.on("request", (r) => r.resourceType() === "script" && scripts.push(r.url()));
    await shopper.goto(`http://${DOMAIN}:${stack.port}/`);
    await shopper.getByRole("heading", { name: TENANT_NAME, level: 1 }).waitFor();
    await shot(shopper, "console-custom-domain-storefront");
    assert.deepEqual(scripts.filter((u) => /ConsoleApp/.test(u)), [], "a storefront loaded the console's chunk");
    await shopper.close();

    await card.getByRole("button", { name: `Remove ${DOMAIN}` }).click();
    await operator.getByRole("dialog", { name: `Remove ${DOMAIN}?` }).getByRole("button", { name: "Remove" }).click();
    await card.waitFor({ state: "detached" });
    const removedAt = Date.now();
    const goneAt = await eventually(async () => {
      const res = await gateway(DOMAIN, "GET", "/api/v1/store");
      return (res.status === 404 && res.json?.code === "tenant_not_found") || `${res.status} ${res.json?.code}`;
    }, 10_000, `${DOMAIN} answering 404 tenant_not_found`);
    console.log(`# ${DOMAIN} was 404 tenant_not_found ${goneAt - removedAt} ms after the removal`);
    security.assertClean("the console");
  });

  it("keeps a domain without its TXT record pending, with the reason", async () => {
    // a name no DNS has the challenge for: NXDOMAIN (txt_missing) or, with no network, dns_error
    const name = `taco-town${suffix || `-${randomBytes(3).toString("hex")}`}.example`;
    await operator.getByLabel("Domain", { exact: true }).fill(name);
    await operator.getByRole("button", { name: "Add domain" }).click();
    const card = operator.locator(`li.domain[data-domain="${name}"]`);
    await card.getByTestId("domain-status").filter({ hasText: "Pending" }).waitFor();
    await card.getByRole("button", { name: `Verify ${name}` }).click();
    await card.getByText(/^(The TXT record was not found yet|DNS could not be queried just now)/).waitFor({ timeout: 15_000 });
    await card.getByText(/^Last checked .* \(your time\)$/).waitFor();
    await card.getByTestId("domain-status").filter({ hasText: "Pending" }).waitFor();
    assert.equal((await gateway(name, "GET", "/api/v1/store")).status, 404);
    await shot(operator, "console-domain-reason");
    await card.getByRole("button", { name: `Remove ${name}` }).click();
    await operator.getByRole("dialog", { name: `Remove ${name}?` }).getByRole("button", { name: "Remove" }).click();
    await card.waitFor({ state: "detached" });
  });

  it("does not open for a tenant owner's token", async () => {
    const login = await gateway(`${SLUG}.localhost`, "POST", "/api/v1/auth/token", { body: { email: OWNER_EMAIL, password: OWNER_PASSWORD } });
    assert.equal(login.status, 200, `the owner of ${SLUG} logs in to the storefront: ${login.text}`);
    const ownerToken = login.json.access_token;
    // the owner can do owner things on the tenant's host...
    assert.equal((await gateway(`${SLUG}.localhost`, "GET", "/api/v1/admin/users", { headers: { authorization: `Bearer ${ownerToken}` } })).status, 200);
    // ...but the platform API refuses the token, for reading and for writing
    const list = await gateway("console.localhost", "GET", "/api/v1/platform/tenants", { headers: { authorization: `Bearer ${ownerToken}` } });
    assert.equal(list.status, 401, list.text);
    const create = await gateway("console.localhost", "POST", "/api/v1/platform/tenants", {
      headers: { authorization: `Bearer ${ownerToken}` },
      body: { slug: `evil${suffix}`, name: "Evil" },
    });
    assert.equal(create.status, 401, create.text);
    // and the console in a browser holding that token goes back to its login
    const ctx = await browser.newContext();
    await ctx.addInitScript((token) => {
      sessionStorage.setItem("stelly.console", JSON.stringify({ token, email: "owner", expiresAt: Date.now() + 3_600_000 }));
    }, ownerToken);
    const page = await ctx.newPage();
    await page.goto(base);
    await page.getByRole("alert").filter({ hasText: "Your session has ended. Please log in again." }).waitFor();
    await page.getByRole("button", { name: "Log in" }).waitFor();
    assert.equal(await page.locator("table.tenants").count(), 0);
    await ctx.close();
  });

  it("pages the tenants with Load more (the server's cursor)", async () => {
    // the real API with pages of 2 instead of 25, so the few tenants here take two pages
    const small = (route) => route.continue({ url: route.request().url().replace(/limit=\d+/, "limit=2") });
    const list = /\/api\/v1\/platform\/tenants\?/;
    await operator.route(list, small);
    await operator.goto(base);
    const rows = operator.locator("table.tenants tbody tr");
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    await operator.getByRole("button", { name: "Load more" }).click();
    await rows.nth(2).waitFor();
    const slugs = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.slug));
    assert.equal(new Set(slugs).size, slugs.length, `a tenant listed twice: ${slugs}`);
    await operator.unroute(list, small);
  });
});
