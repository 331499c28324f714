import { describe, expect, it } from "vitest";
import { formatPrice, formatSurcharge, minorDigits, parsePrice, priceInputValue } from "../src/lib/money";

describe("money", () => {
  it("formats minor units in the tenant's currency", () => {
    expect(formatPrice(1250, "USD", "en-US")).toBe("$12.50");
    expect(formatPrice(1250, "EUR", "de-DE")).toBe("12,50\u00a0€");
    expect(formatPrice(1250, "JPY", "en-US")).toBe("¥1,250");
    expect(formatPrice(1250, "BHD", "en-US")).toBe("BHD\u00a01.250");
  });

  it("knows each currency's minor unit", () => {
    expect(minorDigits("EUR")).toBe(2);
    expect(minorDigits("JPY")).toBe(0);
    expect(minorDigits("KWD")).toBe(3);
  });

  it("shows surcharges with a sign, and nothing for free options", () => {
    expect(formatSurcharge(300, "USD", "en-US")).toBe("+$3.00");
    expect(formatSurcharge(0, "USD", "en-US")).toBe("");
  });

  it("parses prices typed by staff", () => {
    expect(parsePrice("12.5", "EUR")).toBe(1250);
    expect(parsePrice(" 12,50 ", "EUR")).toBe(1250);
    expect(parsePrice("7", "EUR")).toBe(700);
    expect(parsePrice("7.", "EUR")).toBe(700);
    expect(parsePrice("1250", "JPY")).toBe(1250);
    expect(parsePrice("12.505", "EUR")).toBeNull();
    expect(parsePrice("12.5", "JPY")).toBeNull();
    expect(parsePrice("-1", "EUR")).toBeNull();
    expect(parsePrice("abc", "EUR")).toBeNull();
    expect(parsePrice("", "EUR")).toBeNull();
  });

  it("round-trips through the input value", () => {
    expect(priceInputValue(1250, "EUR")).toBe("12.50");
    expect(priceInputValue(1250, "JPY")).toBe("1250");
    expect(parsePrice(priceInputValue(99, "USD"), "USD")).toBe(99);
  });
});
