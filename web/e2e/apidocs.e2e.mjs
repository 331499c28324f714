// The API reference at /api/docs, in real headless Chromium through the gateway
// of the stack `make run` starts: the gateway sends /api/docs to the web app
// (infra/routing.json), which renders both services' committed OpenAPI
// documents with the bundled Swagger UI. Nothing may come from another host
// (no CDN: this Chromium has no network). The screenshot goes to web/test-results/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { launch } from "./browser.mjs";
import { watchSecurity } from "./security.mjs";
import { REPO, startStack } from "./stack.mjs";

const SHOTS = join(REPO, "web", "test-results");
mkdirSync(SHOTS, { recursive: true });

let stack;
let browser;

describe("API docs page", { timeout: 240_000 }, () => {
  before(async () => {
    stack = await startStack();
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("renders the menu and media operations at /api/docs, from this host only", async () => {
    const base = `http://localhost:${stack.port}`;
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const security = await watchSecurity(ctx, stack.port);
    const page = await ctx.newPage();
    const foreign = [];
    const failed = [];
    const errors = [];
    page.on("request", (r) => {
      const url = new URL(r.url());
      if (!["http:", "https:"].includes(url.protocol)) return;
      if (url.host !== `localhost:${stack.port}`) foreign.push(r.url());
    });
    page.on("requestfailed", (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on("pageerror", (e) => errors.push(String(e)));

    const response = await page.goto(`${base}/api/docs`);
    assert.equal(response.status(), 200);
    await page.getByRole("heading", { name: "Stelly API", level: 1 }).waitFor();
    const menu = page.locator('section[data-service="menu"]');
    const media = page.locator('section[data-service="media"]');
    await menu.and(page.locator('[data-loaded="true"]')).waitFor();
    await media.and(page.locator('[data-loaded="true"]')).waitFor();

    // each document's own title, then operations of both services, method and path
    await menu.getByRole("heading", { name: /Stelly menu/ }).waitFor();
    await media.getByRole("heading", { name: /Stelly media/ }).waitFor();
    const operation = (section, method, path) =>
      section.locator(`.opblock-${method} .opblock-summary-path[data-path="${path}"]`);
    await operation(menu, "post", "/api/v1/store/orders").first().waitFor();
    await operation(menu, "get", "/api/v1/store/menu").first().waitFor();
    await operation(menu, "post", "/api/v1/auth/token").first().waitFor();
    await operation(media, "post", "/api/v1/media/images").first().waitFor();
    await operation(media, "get", "/api/v1/media/images/{image_id}").first().waitFor();
    const postOrder = menu.locator(".opblock-post", { has: page.locator('.opblock-summary-path[data-path="/api/v1/store/orders"]') });
    assert.match(await postOrder.first().locator(".opblock-summary-method").innerText(), /POST/);

    // an operation opens to its parameters and responses
    await postOrder.first().locator(".opblock-summary-control").click();
    await postOrder.first().locator(".responses-wrapper").waitFor();

    await page.screenshot({ path: join(SHOTS, "api-docs.png"), fullPage: true });
    assert.deepEqual(foreign, [], "requests to other hosts (the renderer must be bundled)");
    assert.deepEqual(failed, [], "failed requests");
    assert.deepEqual(errors, [], "page errors");
    security.assertClean("the API docs page"); // Swagger UI runs under the site's CSP

    // the same documents the page renders, served by the gateway as JSON
    for (const service of ["menu", "media"]) {
      const doc = await page.request.get(`${base}/openapi/${service}.json`);
      assert.equal(doc.status(), 200);
      assert.match(doc.headers()["content-type"], /^application\/json/);
      assert.ok(Object.keys((await doc.json()).paths).length > 0, `${service}.json has no paths`);
    }
    await ctx.close();
  });

  it("leaves the storefront without the renderer", async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const scripts = [];
    page.on("request", (r) => r.resourceType() === "script" && scripts.push(r.url()));
    await page.goto(`http://pizza.localhost:${stack.port}/`);
    await page.getByRole("heading", { name: "Pizzeria Stella" }).waitFor();
    assert.ok(scripts.length > 0);
    assert.deepEqual(scripts.filter((u) => u.includes("apidocs")), [], "the storefront loaded the API docs chunk");
    await ctx.close();
  });
});
