import { describe, expect, it } from "vitest";
import { isApiDocs, parseRoute } from "../src/router";

describe("routes", () => {
  it("sends /api/docs (and below it) to the API reference, nothing else", () => {
    expect(isApiDocs("/api/docs")).toBe(true);
    expect(isApiDocs("/api/docs/")).toBe(true);
    expect(isApiDocs("/api/docs/menu")).toBe(true);
    expect(isApiDocs("/api/docsx")).toBe(false);
    expect(isApiDocs("/api/v1/store/menu")).toBe(false);
    expect(isApiDocs("/")).toBe(false);
  });

  it("keeps the app's own pages", () => {
    expect(parseRoute("/order/12")).toEqual({ page: "order", id: 12 });
    expect(parseRoute("/admin/menu")).toEqual({ page: "admin", tab: "menu" });
    expect(parseRoute("/")).toEqual({ page: "store" });
  });
});

describe("staff routes", () => {
  it("maps each staff page and the invitation link", () => {
    expect(parseRoute("/admin")).toEqual({ page: "admin", tab: "kitchen" });
    expect(parseRoute("/admin/hours")).toEqual({ page: "admin", tab: "hours" });
    expect(parseRoute("/admin/staff/")).toEqual({ page: "admin", tab: "staff" });
    expect(parseRoute("/admin/reports")).toEqual({ page: "admin", tab: "reports" });
    expect(parseRoute("/admin/history")).toEqual({ page: "admin", tab: "history" });
    expect(parseRoute("/admin/nowhere")).toEqual({ page: "admin", tab: "kitchen" });
    expect(parseRoute("/admin/accept", "?token=abc.def")).toEqual({ page: "accept", token: "abc.def" });
    expect(parseRoute("/admin/accept")).toEqual({ page: "accept", token: "" });
  });
});
