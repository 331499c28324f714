// Prices are integers in the currency's minor unit (SPEC §3).

const formatters = new Map<string, Intl.NumberFormat>();

function formatter(currency: string, locale?: string): Intl.NumberFormat {
  const key = `${locale ?? ""}|${currency}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: "currency", currency });
    formatters.set(key, f);
  }
  return f;
}

/** How many decimals the currency's minor unit has (USD 2, JPY 0, BHD 3). */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
    .maximumFractionDigits ?? 2;
}

/** `1250, "EUR"` → `€12.50` (in the given or the browser's locale). */
export function formatPrice(minor: number, currency: string, locale?: string): string {
  return formatter(currency, locale).format(minor / 10 ** minorDigits(currency));
}

/** `formatPrice` with a leading `+` for a surcharge; empty for zero. */
export function formatSurcharge(minor: number, currency: string, locale?: string): string {
  if (minor === 0) return "";
  return `${minor > 0 ? "+" : "−"}${formatPrice(Math.abs(minor), currency, locale)}`;
}

/**
 * A price typed by staff (`12.5`, `12,50`, `7`) in minor units, or null when it
 * is not a non-negative amount with at most the currency's decimals.
 */
export function parsePrice(input: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const text = input.trim().replace(/\s/g, "").replace(",", ".");
  const match = /^(\d{1,9})(?:\.(\d*))?$/.exec(text);
  if (!match) return null;
  const fraction = match[2] ?? "";
  if (fraction.length > digits) return null;
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0");
}

/** Minor units as the plain decimal text an input shows (`1250` → `12.50`). */
export function priceInputValue(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  return digits === 0 ? String(minor) : (minor / 10 ** digits).toFixed(digits);
}
