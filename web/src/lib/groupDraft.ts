// Modifier groups as staff type them (prices as money text), checked the way
// the server checks them before the item PATCH sends `modifier_groups`.
import { parsePrice, priceInputValue } from "./money";
import type { GroupIn, ModifierGroup } from "./types";

export interface OptionDraft {
  key: string;
  name: string;
  price: string;
}

export interface GroupDraft {
  key: string;
  name: string;
  min: string;
  max: string;
  options: OptionDraft[];
}

let counter = 0;
/** A key for React lists that survives edits (drafts have no id yet). */
export function draftKey(): string {
  counter += 1;
  return `d${counter}`;
}

export function toDrafts(groups: ModifierGroup[], currency: string): GroupDraft[] {
  return groups.map((g) => ({
    key: draftKey(),
    name: g.name,
    min: String(g.min),
    max: String(g.max),
    options: g.options.map((o) => ({ key: draftKey(), name: o.name, price: priceInputValue(o.price, currency) })),
  }));
}

export function emptyGroup(): GroupDraft {
  return { key: draftKey(), name: "", min: "0", max: "1", options: [emptyOption()] };
}

export function emptyOption(): OptionDraft {
  return { key: draftKey(), name: "", price: "0" };
}

function wholeNumber(text: string): number | null {
  return /^\s*\d{1,4}\s*$/.test(text) ? Number(text) : null;
}

/**
 * The groups to send, or the first problem in words (naming the group): every
 * group and option named, `min` ≥ 0, `max` ≥ 1 and ≥ `min`, at least one
 * option and no fewer than `min`, prices non-negative amounts of the currency.
 */
export function validateGroups(drafts: GroupDraft[], currency: string): { groups: GroupIn[] } | { error: string } {
  const groups: GroupIn[] = [];
  for (const [i, d] of drafts.entries()) {
    const label = d.name.trim() || `Group ${i + 1}`;
    if (!d.name.trim()) return { error: `${label}: give the group a name.` };
    const min = wholeNumber(d.min);
    const max = wholeNumber(d.max);
    if (min === null) return { error: `${label}: the minimum must be a whole number (0 or more).` };
    if (max === null || max < 1) return { error: `${label}: the maximum must be at least 1.` };
    if (max < min) return { error: `${label}: the maximum cannot be less than the minimum.` };
    if (d.options.length === 0) return { error: `${label}: add at least one option.` };
    if (d.options.length < min) return { error: `${label}: needs at least ${min} options for a minimum of ${min}.` };
    const options: GroupIn["options"] = [];
    for (const [j, o] of d.options.entries()) {
      if (!o.name.trim()) return { error: `${label}: option ${j + 1} needs a name.` };
      const price = parsePrice(o.price, currency);
      if (price === null) return { error: `${label}: the price of ${o.name.trim()} must be an amount of 0 or more, like 1.50.` };
      options.push({ name: o.name.trim(), price });
    }
    groups.push({ name: d.name.trim(), min, max, options });
  }
  return { groups };
}
