// The staff app of issue 16 end to end in headless Chromium, on a tenant of its
// own (created with `stelly tenant create`, so the demo tenants stay as the
// other tests expect them): a manager builds an item with choices, a customer
// orders it and today's report shows it; the owner invites a staff member who
// accepts and cannot open the staff accounts; the "Closed now" switch takes the
// storefront's checkout away and brings it back without a reload.
// Screenshots go to web/test-results/.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { axeViolations } from "./a11y.mjs";
import { launch } from "./browser.mjs";
import { watchSecurity } from "./security.mjs";
import { REPO, startStack } from "./stack.mjs";

const SHOTS = join(REPO, "web", "test-results");
mkdirSync(SHOTS, { recursive: true });

const SLUG = `w${Date.now().toString(36)}`; // a reused stack gets a fresh tenant each run
const OWNER = { email: `owner@${SLUG}.test`, password: "owner-pass-16" };
const MANAGER = { email: `manager@${SLUG}.test`, password: "manager-pass-16" };
const STAFF = { email: `cook@${SLUG}.test`, password: "cook-pass-16" };

let stack;
let browser;
let base;
let ownerToken;
const watchers = [];
const state = {};

function gateway(method, path, { token, body } = {}) {
  const headers = { host: `${SLUG}.localhost:${stack.port}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: stack.port, method, path, headers }, (res) => {
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
        resolve({ status: res.statusCode, body: text, json });
      });
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function must(method, path, opts, status = 200) {
  const res = await gateway(method, path, opts);
  assert.equal(res.status, status, `${method} ${path}: ${res.body}`);
  return res.json;
}

async function watched(options = { viewport: { width: 1280, height: 900 } }) {
  const ctx = await browser.newContext(options);
  watchers.push(await watchSecurity(ctx, stack.port));
  return ctx;
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function assertAccessible(page, where) {
  assert.deepEqual(await axeViolations(page), [], `accessibility problems on ${where}`);
}

async function login(page, who, path = "/admin") {
  await page.goto(`${base}${path}`);
  await page.getByLabel("E-mail").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("navigation", { name: "Staff" }).getByRole("link", { name: "Kitchen board" }).waitFor();
}

describe("staff app: menu choices, reports, staff accounts, opening hours", { timeout: 180_000 }, () => {
  before(async () => {
    stack = await startStack();
    base = `http://${SLUG}.localhost:${stack.port}`;
    assert.ok(stack.stateDir, "the stack's state directory (set STELLY_E2E_STATE_DIR with STELLY_E2E_PORT)");
    // a tenant of our own, in Rome's time zone
    await promisify(execFile)(
      join(REPO, ".venv", "bin", "stelly"),
      ["tenant", "create", SLUG, "--name", "Trattoria Sedici", "--timezone", "Europe/Rome", "--currency", "EUR", "--owner-email", OWNER.email],
      { cwd: REPO, env: { ...process.env, STELLY_STATE_DIR: stack.stateDir, STELLY_OWNER_PASSWORD: OWNER.password } },
    );
    ownerToken = (await must("POST", "/api/v1/auth/token", { body: OWNER })).access_token;
    await must("POST", "/api/v1/admin/users", { token: ownerToken, body: { ...MANAGER, role: "manager" } }, 201);
    const cat = await must("POST", "/api/v1/admin/categories", { token: ownerToken, body: { name: "Primi", position: 0 } }, 201);
    state.category = cat;
    state.water = await must("POST", "/api/v1/admin/items", { token: ownerToken, body: { category_id: cat.id, name: "Acqua", price: 250 } }, 201);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("a manager adds an item with a group of three choices; a customer orders one; today's report shows it", async () => {
    // the browser in New York, the restaurant in Rome: every staff time must read Rome's clock
    const ctx = await watched({ viewport: { width: 1280, height: 1000 }, timezoneId: "America/New_York" });
    const staff = await ctx.newPage();
    await login(staff, MANAGER, "/admin/menu");
    await staff.getByRole("link", { name: "Menu" }).click();
    const section = staff.locator(`section[data-category-id="${state.category.id}"]`);
    await section.getByLabel("New item in Primi").fill("Pasta Sedici");
    await section.getByLabel("Price (EUR)").fill("11");
    await section.getByRole("button", { name: "Add item" }).click();
    const row = section.locator("li.edit-item", { hasText: "Pasta Sedici" });
    await row.getByRole("button", { name: "Edit Pasta Sedici" }).click();

    await row.getByRole("button", { name: "Add a group of choices" }).click();
    const group = row.getByRole("group", { name: /^Group 1/ });
    await group.getByLabel("Group name").fill("Sauce");
    await group.getByLabel("Choose at least").fill("1");
    await group.getByLabel("Choose at most").fill("0");
    for (const [i, [name, price]] of [["Pomodoro", "0"], ["Pesto", "1.50"], ["Panna", "2"]].entries()) {
      if (i > 0) await group.getByRole("button", { name: /^Add option/ }).click();
      await group.getByLabel(/^Option name/).nth(i).fill(name);
      await group.getByLabel(/^Extra price/).nth(i).fill(price);
    }
    await row.getByLabel("Add a tag").fill("house");
    await row.getByLabel("Add a tag").press("Enter");
    // the server's rule, checked before anything is sent
    await row.getByRole("button", { name: "Save" }).click();
    await row.getByRole("alert").filter({ hasText: "Sauce: the maximum must be at least 1." }).waitFor();
    await shot(staff, "staff-menu-choices");
    await assertAccessible(staff, "the menu editor with choices");
    await group.getByLabel("Choose at most").fill("1");
    const saved = staff.waitForResponse((r) => /\/api\/v1\/admin\/items\/\d+$/.test(r.url()) && r.request().method() === "PATCH");
    await row.getByRole("button", { name: "Save" }).click();
    const item = await (await saved).json();
    assert.deepEqual(item.tags, ["house"]);
    assert.equal(item.modifier_groups.length, 1);
    assert.deepEqual(item.modifier_groups[0].options.map((o) => [o.name, o.price]), [["Pomodoro", 0], ["Pesto", 150], ["Panna", 200]]);
    state.item = item;

    // the order of the items, by keyboard: lift, move up, drop
    const handle = section.getByRole("button", { name: "Move Pasta Sedici" });
    await handle.focus();
    await staff.keyboard.press("Space");
    await staff.getByTestId("reorder-announcement").filter({ hasText: "Pasta Sedici lifted, at position 2 of 2" }).waitFor();
    await staff.keyboard.press("ArrowUp");
    const reordered = staff.waitForResponse((r) => r.url().endsWith("/api/v1/admin/items/reorder"));
    await staff.keyboard.press("Space");
    assert.equal((await reordered).status(), 200);
    await staff.getByTestId("reorder-announcement").filter({ hasText: "Pasta Sedici dropped at position 1 of 2" }).waitFor();
    assert.deepEqual(await section.locator("li.edit-item .name").allTextContents(), ["Pasta Sedici", "Acqua"]);
    // and back with the mouse (HTML5 drag and drop)
    const dragged = staff.waitForResponse((r) => r.url().endsWith("/api/v1/admin/items/reorder"));
    await section.getByRole("button", { name: "Move Acqua" }).dragTo(section.locator("li.edit-item").first());
    assert.equal((await dragged).status(), 200);
    assert.deepEqual(await section.locator("li.edit-item .name").allTextContents(), ["Acqua", "Pasta Sedici"]);

    // a customer orders it with one choice
    const shopper = await (await watched()).newPage();
    await shopper.goto(base);
    await shopper.getByRole("button", { name: "Choose Pasta Sedici" }).click();
    const dialog = shopper.getByRole("dialog", { name: "Pasta Sedici" });
    await dialog.getByLabel(/Pesto/).check();
    await dialog.getByRole("button", { name: /Add to order/ }).click();
    await shopper.locator("#cart").getByLabel("Name").fill("Giulia");
    const posted = shopper.waitForResponse((r) => r.url().endsWith("/api/v1/store/orders") && r.request().method() === "POST");
    await shopper.locator("#cart").getByRole("button", { name: "Place order" }).click();
    const order = await (await posted).json();
    assert.equal(order.total, 1250);

    // today's report, from the server's numbers
    await staff.getByRole("link", { name: "Reports" }).click();
    await staff.getByTestId("report-range").filter({ hasText: "Today" }).waitFor();
    await staff.getByTestId("tile-orders").filter({ hasText: "1" }).waitFor();
    await staff.getByTestId("tile-revenue").filter({ hasText: "12.50" }).waitFor();
    const top = staff.getByTestId("top-items").locator("tbody tr").first();
    await top.filter({ hasText: "Pasta Sedici" }).waitFor();
    assert.match(await top.textContent(), /Pasta Sedici\s*1\s*€12\.50/);
    await staff.getByTestId("chart-by-hour").locator("svg").first().waitFor();
    // the CSV export, fetched with the token and saved as a download
    const download = staff.waitForEvent("download");
    await staff.getByRole("button", { name: "Items (CSV)" }).click();
    const csv = await download;
    assert.match(csv.suggestedFilename(), /-items-.*\.csv$/);
    const text = await new Promise((resolve, reject) => {
      csv.createReadStream().then((stream) => {
        const chunks = [];
        stream.on("data", (c) => chunks.push(c));
        stream.on("end", () => resolve(Buffer.concat(chunks).toString()));
        stream.on("error", reject);
      }, reject);
    });
    assert.match(text, /Pasta Sedici/);
    await shot(staff, "staff-reports-today");
    await assertAccessible(staff, "the reports page");

    // the order in the history, with its lines and status history
    await staff.getByRole("link", { name: "Order history" }).click();
    await staff.getByRole("button", { name: new RegExp(`^#${order.number} \\(open the order`) }).click();
    const romeTime = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Rome", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(order.created_at));
    assert.match(await staff.locator(`tr[data-order-id="${order.id}"]`).textContent(), new RegExp(romeTime));
    const detail = staff.locator(".order-detail");
    await detail.getByText("1 × Pasta Sedici").waitFor();
    await detail.locator("ol.status-history li").first().waitFor();
    await shot(staff, "staff-order-history");
    await assertAccessible(staff, "the order history");
    // the kitchen board reads Rome's clock too
    await staff.getByRole("link", { name: "Kitchen board" }).click();
    assert.equal(await staff.locator(`li.ticket[data-order-id="${order.id}"] time`).textContent(), romeTime);
    await ctx.close();
  });

  it("the owner invites a staff member, who accepts, logs in, and cannot open the staff accounts", async () => {
    const ctx = await watched();
    const owner = await ctx.newPage();
    await login(owner, OWNER, "/admin/staff");
    await owner.getByRole("heading", { name: "Staff accounts" }).waitFor();
    await owner.locator(`tr[data-user-email="${MANAGER.email}"]`).waitFor();
    await owner.getByLabel("E-mail").fill(STAFF.email);
    await owner.getByLabel("Role").selectOption("staff");
    await owner.getByRole("button", { name: "Invite", exact: true }).click();
    const link = owner.getByTestId("copy-link-url");
    await link.waitFor();
    const invite = await link.inputValue();
    assert.match(invite, /\/admin\/accept\?token=/);
    await owner.locator(`tr[data-user-email="${STAFF.email}"]`).getByText("Invited").waitFor();
    await shot(owner, "staff-accounts-invited");
    await assertAccessible(owner, "the staff accounts page");

    const cookCtx = await watched();
    const cook = await cookCtx.newPage();
    await cook.goto(invite);
    await cook.getByLabel("New password").fill(STAFF.password);
    await cook.getByLabel("Repeat the password").fill(STAFF.password);
    await assertAccessible(cook, "the accept page");
    await shot(cook, "staff-accept-invite");
    await cook.getByRole("button", { name: "Set password and log in" }).click();
    const nav = cook.getByRole("navigation", { name: "Staff" });
    await nav.getByRole("link", { name: "Kitchen board" }).waitFor();
    // logged in after accepting; and the password works for a new login
    await nav.getByRole("button", { name: "Log out" }).click();
    await login(cook, STAFF);
    assert.equal(await nav.getByRole("link", { name: "Staff accounts" }).count(), 0, "the nav hides the staff accounts");
    assert.equal(await nav.getByRole("link", { name: "Reports" }).count(), 0);
    await cook.goto(`${base}/admin/staff`);
    await cook.getByTestId("forbidden-page").waitFor();
    assert.equal(await cook.getByRole("heading", { name: "Staff accounts" }).count(), 0);
    await shot(cook, "staff-forbidden");
    // staff switch availability in the menu, and edit nothing else
    await cook.goto(`${base}/admin/menu`);
    await cook.getByRole("switch", { name: "Acqua available" }).waitFor();
    assert.equal(await cook.getByRole("button", { name: /^(Edit|Move) / }).count(), 0);
    assert.equal(await cook.getByRole("button", { name: "Add category" }).count(), 0);
    await owner.reload();
    await owner.locator(`tr[data-user-email="${STAFF.email}"]`).getByText("Active").waitFor();
    await ctx.close();
    await cookCtx.close();
  });

  it("Closed now takes the storefront's checkout away; reopening brings it back without a reload", async () => {
    const shopper = await (await watched()).newPage();
    await shopper.goto(base);
    await shopper.getByTestId("open-state").filter({ hasText: "Open now" }).waitFor();
    await shopper.getByRole("button", { name: "Add Acqua" }).click();
    const cart = shopper.locator("#cart");
    await cart.getByRole("button", { name: "Place order" }).waitFor();
    await shopper.evaluate(() => (window.__sameDocument = true));

    const owner = await (await watched()).newPage();
    await login(owner, OWNER, "/admin/hours");
    // weekly hours: today (in Rome) in two ranges that cover it; tomorrow a holiday
    const rome = (ms, options) => new Intl.DateTimeFormat(options.weekday ? "en-US" : "en-CA", { timeZone: "Europe/Rome", ...options }).format(ms);
    const weekday = rome(Date.now(), { weekday: "long" });
    const tomorrow = rome(Date.now() + 86_400_000, { year: "numeric", month: "2-digit", day: "2-digit" });
    await owner.getByLabel("Open around the clock").uncheck();
    for (const [i, [opens, closes]] of [["00:00", "12:00"], ["12:00", "00:00"]].entries()) {
      await owner.getByRole("button", { name: `Add range on ${weekday}` }).click();
      const range = owner.getByRole("group", { name: `${weekday} range ${i + 1}` });
      await range.getByLabel(/Opens/).fill(opens);
      await range.getByLabel(/Closes/).fill(closes);
    }
    await owner.getByRole("button", { name: "Add a special day" }).click();
    const holiday = owner.locator("li.exception").first();
    await holiday.getByLabel("Date").fill(tomorrow);
    await holiday.getByLabel(/Note/).fill("Staff party");
    const saved = owner.waitForResponse((r) => r.url().endsWith("/api/v1/admin/store") && r.request().method() === "PATCH");
    await owner.getByRole("button", { name: "Save hours" }).click();
    assert.equal((await saved).status(), 200);
    // the storefront hears it and shows the week and the coming exception, still open
    const hours = shopper.locator("section.store-hours");
    await hours.locator("tr", { hasText: weekday }).filter({ hasText: "00:00–12:00, 12:00–00:00" }).waitFor({ timeout: 5_000 });
    await hours.getByText("Staff party").waitFor();
    await shopper.getByTestId("open-state").filter({ hasText: "Open now" }).waitFor();

    const closed = owner.getByRole("switch", { name: "Closed now" });
    await closed.check();
    await shopper.getByTestId("closed-notice").filter({ hasText: "Closed now" }).waitFor({ timeout: 5_000 });
    await shopper.getByTestId("open-state").filter({ hasText: "Closed now" }).waitFor();
    await cart.getByTestId("checkout-closed").waitFor();
    assert.equal(await cart.getByRole("button", { name: "Place order" }).count(), 0, "no checkout while closed");
    assert.equal(await shopper.getByRole("button", { name: "Add Acqua" }).isDisabled(), true);
    await shot(shopper, "storefront-closed-now");
    await assertAccessible(shopper, "the closed storefront");
    await shot(owner, "staff-hours-closed-now");
    await assertAccessible(owner, "the hours page");

    await closed.uncheck();
    await cart.getByRole("button", { name: "Place order" }).waitFor({ timeout: 5_000 });
    await shopper.getByTestId("open-state").filter({ hasText: "Open now" }).waitFor();
    assert.equal(await shopper.evaluate(() => window.__sameDocument), true, "the storefront was not reloaded");
  });

  it("the staff pages ran under the CSP with no violation (charts included)", () => {
    for (const [i, w] of watchers.entries()) w.assertClean(`browser context ${i}`);
  });
});
