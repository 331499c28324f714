// The console's components rendered to HTML (no DOM here): what the operator reads.
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DnsRecords } from "../src/console/DnsRecords";
import { DomainCard } from "../src/console/DomainCard";
import { FieldError } from "../src/console/FieldError";
import { TenantsTable } from "../src/console/TenantsTable";
import type { Domain, Tenant } from "../src/console/types";

const taco: Tenant = { slug: "taco", name: "Taco Town", status: "active", created_at: "2026-11-01T10:00:00Z", orders_last_7_days: 1234, images_stored: 7, last_order_at: "2026-12-01T16:05:00Z" };
const closed: Tenant = { ...taco, slug: "shut", name: "Shut", status: "suspended", orders_last_7_days: null, images_stored: 0, last_order_at: null };
const pending: Domain = {
  domain: "taco-town.com",
  status: "pending",
  reason: "txt_mismatch",
  certificate: null,
  created_at: "2026-12-01T10:00:00Z",
  verified_at: null,
  last_checked_at: "2026-12-01T10:05:00Z",
  records: [
    { type: "CNAME", name: "taco-town.com", value: "taco.stelly.com" },
    { type: "TXT", name: "_stelly.taco-town.com", value: "stelly-verify=abc" },
  ],
};
const noop = () => undefined;

describe("console components", () => {
  it("lists tenants with their numbers, status and a labelled local time", () => {
    const html = renderToStaticMarkup(createElement(TenantsTable, { tenants: [taco, closed], onToggle: noop }));
    expect(html).toContain("Last order <span class=\"muted small\">(your time,");
    expect(html).toContain("Taco Town");
    expect(html).toMatch(/1,234|1\.234|1 234/);
    expect(html).toMatch(/datetime="2026-12-01T16:05:00Z"/i);
    expect(html).toContain("No orders yet");
    expect(html).toContain('<td class="num">—</td>'); // a figure the server could not count
    // each button says which tenant it acts on (to a screen reader; the row says it to the eye)
    expect(html).toContain('Suspend<span class="sr-only"> taco</span>');
    expect(html).toContain('Resume<span class="sr-only"> shut</span>');
    expect(html).toContain('href="/tenants/taco/domains"');
  });

  it("shows each DNS record with a copy button", () => {
    const html = renderToStaticMarkup(createElement(DnsRecords, { domain: pending.domain, records: pending.records }));
    expect(html).toContain("stelly-verify=abc");
    expect(html).toContain('Copy<span class="sr-only"> the TXT value for _stelly.taco-town.com</span>');
    expect(html).toContain('Copy<span class="sr-only"> the CNAME value for taco-town.com</span>');
  });

  it("shows a pending domain's reason and a verified domain's certificate", () => {
    const props = { token: "t", slug: "taco", onChange: noop, onRemoved: noop };
    const waiting = renderToStaticMarkup(createElement(DomainCard, { ...props, domain: pending }));
    expect(waiting).toContain("Pending");
    expect(waiting).toContain("not the one below");
    const live = renderToStaticMarkup(createElement(DomainCard, { ...props, domain: { ...pending, status: "verified", reason: null, certificate: { state: "approved", deployment_status: "succeeded" } } }));
    expect(live).toContain("Verified");
    expect(live).toContain("Certificate: <strong>approved, deployment succeeded</strong>");
    expect(live).not.toContain("not the one below");
  });

  it("puts the server's code next to the field", () => {
    expect(renderToStaticMarkup(createElement(FieldError, { id: "e", problem: { code: "tenant_exists", message: "Taken." } }))).toBe(
      '<span id="e" class="error field-error" role="alert">Taken. <code>tenant_exists</code></span>',
    );
    expect(renderToStaticMarkup(createElement(FieldError, { id: "e", problem: undefined }))).toBe("");
  });
});
