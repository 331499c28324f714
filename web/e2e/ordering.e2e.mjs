// End to end in real headless Chromium against the stack `make run` starts:
// a customer orders, the kitchen sees it live and moves it to ready, the
// customer sees `ready` without a reload; the editor takes an item off the
// storefront live. Screenshots go to web/test-results/ for review.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { axeViolations } from "./a11y.mjs";
import { launch } from "./browser.mjs";
import { makePng } from "./png.mjs";
import { watchSecurity } from "./security.mjs";
import { REPO, startStack } from "./stack.mjs";

const SHOTS = join(REPO, "web", "test-results");
mkdirSync(SHOTS, { recursive: true });

let stack;
let browser;
let base;
let kitchen; // the staff's page (its own browser context)
let customer; // the customer's page (another context)
const state = {};
const watchers = []; // one per browser context: security headers and CSP violations

/** A browser context whose static responses and CSP reports are checked at the end. */
async function watched(options) {
  const ctx = await browser.newContext(options);
  watchers.push(await watchSecurity(ctx, stack.port));
  return ctx;
}

/** An HTTP request to the gateway for a tenant host (fetch may not set `Host`). */
function gateway(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: stack.port, method, path, headers: { ...headers, host: `pizza.localhost:${stack.port}` } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** No serious or critical WCAG A/AA problem that axe-core can see (labels, names, contrast...). */
async function assertAccessible(page, where) {
  assert.deepEqual(await axeViolations(page), [], `accessibility problems on ${where}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function staffLogin(page) {
  await page.goto(`${base}/admin`);
  await page.getByLabel("E-mail").fill("owner@pizza.demo");
  await page.getByLabel("Password").fill("stelly-demo");
  await page.getByRole("button", { name: "Log in" }).click();
}

describe("storefront, kitchen board and menu editor", { timeout: 240_000 }, () => {
  before(async () => {
    stack = await startStack();
    base = `http://pizza.localhost:${stack.port}`;
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("shows a human message for wrong staff credentials, then logs in to a live kitchen board", async () => {
    const ctx = await watched({ viewport: { width: 1366, height: 900 } });
    // count the tones the board plays (headless Chromium has no speakers to listen to)
    await ctx.addInitScript(() => {
      window.__tones = 0;
      const create = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function () {
        window.__tones += 1;
        return create.call(this);
      };
    });
    kitchen = await ctx.newPage();
    await kitchen.goto(`${base}/admin`);
    await kitchen.getByLabel("E-mail").fill("owner@pizza.demo");
    await kitchen.getByLabel("Password").fill("not the password");
    await kitchen.getByRole("button", { name: "Log in" }).click();
    await kitchen.getByRole("alert").filter({ hasText: "That e-mail and password do not match." }).waitFor();
    await assertAccessible(kitchen, "the staff login");
    await staffLogin(kitchen);
    await kitchen.getByText("● Live").waitFor();
    await kitchen.getByRole("heading", { name: /^New/ }).waitFor();
  });

  it("a customer orders a pizza with modifiers; the board shows it within 2 seconds", async () => {
    const ctx = await watched({ viewport: { width: 1280, height: 900 } });
    customer = await ctx.newPage();
    await customer.goto(base);
    await customer.getByRole("heading", { name: "Pizzeria Stella" }).waitFor();
    await customer.getByTestId("open-state").filter({ hasText: "Open now" }).waitFor();
    // prices in the tenant's currency, unavailable items marked
    const arancini = customer.locator("li.item", { has: customer.getByRole("heading", { name: "Arancini" }) });
    await arancini.getByText("Unavailable").waitFor();
    assert.equal(await arancini.getByRole("button").count(), 0);
    await shot(customer, "storefront");
    await assertAccessible(customer, "the storefront");

    await customer.getByRole("button", { name: "Choose Margherita" }).click();
    const dialog = customer.getByRole("dialog", { name: "Margherita" });
    await dialog.waitFor();
    // adding without the required size explains what is missing
    await dialog.getByRole("button", { name: /Add to order/ }).click();
    await dialog.getByRole("alert").filter({ hasText: "Choose a size." }).waitFor();
    await dialog.getByLabel(/Large/).check();
    const toppings = dialog.getByRole("group", { name: /Extra toppings/ }).getByRole("checkbox");
    await toppings.nth(0).check();
    await toppings.nth(1).check();
    await customer.screenshot({ path: join(SHOTS, "item-dialog.png") });
    await assertAccessible(customer, "the item dialog");
    await dialog.getByRole("button", { name: /Add to order/ }).click();
    await dialog.waitFor({ state: "detached" });

    const cart = customer.locator("#cart");
    await cart.getByText("Margherita").waitFor();
    await cart.getByLabel("Name").fill("Ada Lovelace");
    const posted = customer.waitForResponse((r) => r.url().endsWith("/api/v1/store/orders") && r.request().method() === "POST");
    await cart.getByRole("button", { name: "Place order" }).click();
    const response = await posted;
    const placedAt = Date.now();
    assert.equal(response.status(), 201);
    const order = await response.json();
    state.order = order;
    assert.equal(order.items[0].modifiers.length, 3, "size and two toppings");

    await kitchen.locator(`li.ticket[data-order-id="${order.id}"]`).waitFor({ timeout: 2_000 });
    const seenAfter = Date.now() - placedAt;
    assert.ok(seenAfter <= 2_000, `board showed the order after ${seenAfter} ms`);
    await kitchen.locator(`section[data-status="received"] li.ticket[data-order-id="${order.id}"].fresh`).waitFor();
    await kitchen.getByText(`New order #${order.number}`, { exact: false }).first().waitFor();
    await kitchen.waitForFunction(() => window.__tones >= 2, null, { timeout: 2_000 }); // the chime
    await shot(kitchen, "kitchen-board-new-order");
    await assertAccessible(kitchen, "the kitchen board");

    await customer.waitForURL(`**/order/${order.id}`);
    await customer.getByTestId("order-status").waitFor();
  });

  it("staff move it to ready; the customer's page shows ready without a reload", async () => {
    const { id, number } = state.order;
    await customer.evaluate(() => (window.__sameDocument = true));
    const ticket = kitchen.locator(`li.ticket[data-order-id="${id}"]`);
    await ticket.getByRole("button", { name: `Accept order ${number}` }).click();
    await kitchen.locator(`section[data-status="accepted"] li.ticket[data-order-id="${id}"]`).waitFor();
    await ticket.getByRole("button", { name: `Start preparing order ${number}` }).click();
    await kitchen.locator(`section[data-status="preparing"] li.ticket[data-order-id="${id}"]`).waitFor();
    await ticket.getByRole("button", { name: `Mark ready order ${number}` }).click();
    await kitchen.locator(`section[data-status="ready"] li.ticket[data-order-id="${id}"]`).waitFor();
    await customer.locator('[data-testid="order-status"][data-status="ready"]').waitFor({ timeout: 5_000 });
    assert.equal(await customer.evaluate(() => window.__sameDocument), true, "the order page was not reloaded");
    await shot(customer, "order-ready");
    await assertAccessible(customer, "the order page");
    await shot(kitchen, "kitchen-board");
  });

  it("a reload of the live order page and of /admin/menu shows the app, with the security headers", async () => {
    const { id } = state.order;
    const reloaded = await customer.reload();
    assert.equal(reloaded.status(), 200);
    assert.match(reloaded.headers()["content-security-policy"], /default-src 'self'/);
    assert.equal(reloaded.headers()["cache-control"], "no-cache");
    assert.ok(customer.url().endsWith(`/order/${id}`), customer.url());
    await customer.locator('[data-testid="order-status"][data-status="ready"]').waitFor();

    const ctx = await watched({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await staffLogin(page);
    await page.getByRole("link", { name: "Menu" }).waitFor();
    for (const open of [() => page.goto(`${base}/admin/menu`), () => page.reload()]) {
      const response = await open();
      assert.equal(response.status(), 200);
      assert.match(response.headers()["content-security-policy"], /frame-ancestors 'none'/);
      assert.ok(page.url().endsWith("/admin/menu"), page.url());
      await page.getByRole("switch", { name: "Diavola available" }).waitFor();
    }
    await ctx.close();
  });

  it("the board reconnects after a dropped socket and still gets new orders", async () => {
    await kitchen.evaluate(() => window.stellyRealtime.drop());
    // an order placed while the board is (re)connecting is not lost
    const res = await gateway(
      "POST",
      "/api/v1/store/orders",
      { "content-type": "application/json", "idempotency-key": `e2e-${Date.now()}` },
      JSON.stringify({ items: [{ item_id: 1, quantity: 1, modifiers: [] }], customer: { name: "While offline" }, fulfillment: "dine_in", table: "7" }),
    );
    assert.equal(res.status, 201, res.body);
    const { id } = JSON.parse(res.body);
    await kitchen.locator(`li.ticket[data-order-id="${id}"]`).waitFor({ timeout: 10_000 });
    await kitchen.getByText("● Live").waitFor();
  });

  it("a checkout retried after a lost response makes one order, not two", async () => {
    await customer.goto(base);
    await customer.locator("#cart").getByText("Nothing here yet").waitFor(); // the first order emptied it
    await customer.getByRole("button", { name: "Add Bruschetta" }).click();
    await customer.locator("#cart").getByText("Bruschetta").waitFor();
    const ruth = `Retry Ruth ${Date.now() % 100000}`;
    let first = true;
    const keys = [];
    // the first answer is lost after the server created the order
    await customer.route("**/api/v1/store/orders", async (route) => {
      keys.push(route.request().headers()["idempotency-key"]);
      if (first) {
        first = false;
        const req = route.request();
        const sent = await gateway("POST", "/api/v1/store/orders", { "content-type": "application/json", "idempotency-key": req.headers()["idempotency-key"] }, req.postData());
        assert.equal(sent.status, 201, sent.body);
        await route.abort("connectionreset");
        return;
      }
      await route.continue();
    });
    await customer.locator("#cart").getByLabel("Name").fill(ruth);
    await customer.locator("#cart").getByRole("button", { name: "Place order" }).click();
    await customer.waitForURL(/\/order\/\d+$/);
    await customer.unroute("**/api/v1/store/orders");
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1], "the retry sent the same Idempotency-Key");
    await kitchen.locator("li.ticket", { hasText: ruth }).first().waitFor();
    assert.equal(await kitchen.locator("li.ticket", { hasText: ruth }).count(), 1);
  });

  it("an item made unavailable in the editor leaves the storefront's orderable items live", async () => {
    await kitchen.getByRole("link", { name: "Menu" }).click();
    const toggle = kitchen.getByRole("switch", { name: "Diavola available" });
    await toggle.waitFor();
    if (!(await toggle.isChecked())) await toggle.check(); // a reused stack may have it off

    await customer.goto(base);
    await customer.evaluate(() => (window.__sameDocument = true));
    const diavola = customer.locator("li.item", { has: customer.getByRole("heading", { name: "Diavola" }) });
    await diavola.getByRole("button", { name: "Choose Diavola" }).waitFor();

    await toggle.uncheck();
    await kitchen.locator("li.edit-item.unavailable", { hasText: "Diavola" }).waitFor();

    await diavola.getByText("Unavailable").waitFor({ timeout: 5_000 });
    assert.equal(await diavola.getByRole("button", { name: "Choose Diavola" }).count(), 0);
    assert.equal(await diavola.getAttribute("data-orderable"), "false");
    assert.equal(await customer.evaluate(() => window.__sameDocument), true, "the storefront was not reloaded");

    await kitchen.getByRole("button", { name: "Edit" }).first().click();
    await shot(kitchen, "menu-editor");
    await assertAccessible(kitchen, "the menu editor");
    await kitchen.getByRole("button", { name: "Close" }).first().click();
    await toggle.check();
    await diavola.getByRole("button", { name: "Choose Diavola" }).waitFor({ timeout: 5_000 });
  });

  it('a photo uploaded in the editor shows "processing" until ready, then appears on the storefront with a srcset', async () => {
    await customer.goto(base);
    const card = customer.locator("li.item", { has: customer.getByRole("heading", { name: "Capricciosa" }) });
    await card.waitFor();
    const row = kitchen.locator("li.edit-item", { hasText: "Capricciosa" });
    await row.getByRole("button", { name: "Edit" }).click();
    const uploaded = kitchen.waitForResponse((r) => r.url().endsWith("/api/v1/media/images") && r.request().method() === "POST");
    await row.getByLabel(/photo/).setInputFiles({ name: "capricciosa.png", mimeType: "image/png", buffer: makePng() });
    const accepted = await uploaded;
    assert.equal(accepted.status(), 202);
    const { id } = await accepted.json();
    await row.getByText("Processing the photo…").waitFor();
    await row.locator(`.edit-item-row img[src*="${id}"]`).waitFor({ timeout: 60_000 });
    await row.getByText("Processing the photo…").waitFor({ state: "detached" });
    // the storefront follows the menu live and builds its srcset from the variants
    const img = card.locator(`img[srcset*="${id}"]`);
    await img.waitFor({ state: "attached", timeout: 10_000 });
    const srcset = await img.getAttribute("srcset");
    for (const w of ["320w", "640w", "1280w"]) assert.ok(srcset.includes(w), `srcset ${srcset} lacks ${w}`);
    const menu = await customer.evaluate(() => fetch("/api/v1/store/menu").then((r) => r.json()));
    const item = menu.categories.flatMap((c) => c.items).find((i) => i.name === "Capricciosa");
    assert.equal(srcset, ["320", "640", "1280"].map((w) => `${item.image.variants[w]} ${w}w`).join(", "));
    // (whether the variant URLs load is the services' business: see the report)
    await shot(customer, "storefront-with-photo");
  });

  it("an order sent after the store closed gets a human message, and a closed store says so", async () => {
    const login = await gateway("POST", "/api/v1/auth/token", { "content-type": "application/json" }, JSON.stringify({ email: "owner@pizza.demo", password: "stelly-demo" }));
    const staff = { authorization: `Bearer ${JSON.parse(login.body).access_token}`, "content-type": "application/json" };
    const hours = (opening_hours) => gateway("PATCH", "/api/v1/admin/store", staff, JSON.stringify({ opening_hours }));
    const ctx = await watched({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    try {
      await page.goto(base);
      await page.getByRole("button", { name: "Add Bruschetta" }).click();
      await page.locator("#cart").getByLabel("Name").fill("Late Larry");
      // the store closes while the order is on its way (closing it earlier would
      // take the checkout away at once: `store.updated` reaches the page live)
      await page.route("**/api/v1/store/orders", async (route) => {
        assert.equal((await hours({})).status, 200); // no day listed: closed
        await route.continue();
      });
      await page.locator("#cart").getByRole("button", { name: "Place order" }).click();
      await page.locator("#cart").getByRole("alert").filter({ hasText: "The restaurant is closed right now, so it cannot take orders." }).waitFor();
      await page.unroute("**/api/v1/store/orders");
      await page.reload();
      await page.getByTestId("open-state").filter({ hasText: "Closed" }).waitFor();
      assert.equal(await page.getByRole("button", { name: "Add Burrata" }).isDisabled(), true);
      await shot(page, "storefront-closed");
    } finally {
      assert.equal((await hours(null)).status, 200); // open around the clock again
      await ctx.close();
    }
  });

  it("a customer can choose and add a pizza with the keyboard alone", async () => {
    const ctx = await watched({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(base);
    await page.locator("li.item").first().waitFor();
    /** Press Tab until the focused element's accessible text matches. */
    async function tabTo(pattern, limit = 60) {
      for (let i = 0; i < limit; i++) {
        await page.keyboard.press("Tab");
        const text = await page.evaluate(() => {
          const el = document.activeElement;
          return `${el?.getAttribute("aria-label") ?? ""} ${el?.textContent ?? ""} ${el?.closest("label")?.textContent ?? ""}`;
        });
        if (pattern.test(text)) return;
      }
      assert.fail(`Tab never reached ${pattern}`);
    }
    await tabTo(/Choose Margherita/);
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Margherita" });
    await dialog.waitFor();
    await tabTo(/Regular/);
    await page.keyboard.press("ArrowDown"); // radios: arrows move the choice
    assert.equal(await dialog.getByLabel(/Large/).isChecked(), true);
    await tabTo(/Olives/);
    await page.keyboard.press("Space");
    await tabTo(/Add to order/);
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await page.locator("#cart").getByText("Large, Olives").waitFor();
    await ctx.close();
  });

  it("works on a phone-sized screen", async () => {
    const ctx = await watched({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phone = await ctx.newPage();
    await phone.goto(base);
    await phone.getByRole("button", { name: "Add Bruschetta" }).click();
    await phone.getByRole("link", { name: /Your order \(1\)/ }).waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
    await shot(phone, "storefront-phone");
    await phone.getByRole("button", { name: "Choose Margherita" }).click();
    await phone.getByRole("dialog", { name: "Margherita" }).waitFor();
    await phone.screenshot({ path: join(SHOTS, "item-dialog-phone.png") });
    await ctx.close();
  });

  it("every static response carried the security headers, and the app ran under its CSP with no violation", async () => {
    const statics = watchers.flatMap((w) => w.statics);
    const asset = statics.find((r) => new URL(r.url).pathname.startsWith("/assets/") && r.status === 200);
    assert.ok(asset, "no hashed asset was loaded");
    assert.equal(asset.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.ok(statics.some((r) => r.headers["content-type"]?.startsWith("text/html")), "no page was loaded");
    // the photo's variants come from the blob store's origin (Azurite here), which the CSP admits
    const images = watchers.flatMap((w) => w.images);
    assert.ok(images.some((u) => /^https?:/.test(u) && new URL(u).port !== String(stack.port)), `no image from the blob store: ${images}`);
    for (const [i, w] of watchers.entries()) w.assertClean(`browser context ${i}`);
  });
});
