import { describe, expect, it } from "vitest";
import { problemMessage } from "../src/lib/problem";

describe("problem details to words", () => {
  it("uses a sentence for known codes", () => {
    expect(problemMessage({ status: 422, code: "store_closed", detail: "store is closed" })).toMatch(/closed right now/);
  });

  it("names the fields of a validation error", () => {
    expect(
      problemMessage({ status: 400, code: "validation_error", errors: [{ field: "customer.name", message: "Expected `str` of length >= 1" }] }),
    ).toBe("customer name: Expected `str` of length >= 1");
  });

  it("falls back to the detail, then to the status", () => {
    expect(problemMessage({ status: 422, code: "something_new", detail: "modifier group Size needs 1 choice" })).toBe(
      "Modifier group Size needs 1 choice",
    );
    expect(problemMessage(null, 502)).toMatch(/try again/);
    expect(problemMessage(null, 429)).toMatch(/Too many/);
  });
});

describe("staff app problems (issue 16)", () => {
  it("say what went wrong in words", () => {
    expect(problemMessage({ code: "reorder_mismatch" }, 409)).toMatch(/changed on another device/);
    expect(problemMessage({ code: "user_exists" }, 409)).toBe("There is already an account with that e-mail.");
    expect(problemMessage({ code: "invalid_date_range", errors: [{ field: "to", message: "is before from" }] }, 422)).toBe("to: is before from");
  });
});
