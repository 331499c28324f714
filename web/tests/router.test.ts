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
