// The customer's cart: plain data and pure functions over it.
import type { Menu, MenuItem } from "./types";
import { chosenOptionIds, type Selection, unitPrice, validateSelection } from "./modifiers";

export interface CartLine {
  /** item id plus its sorted option ids: the same choice twice is one line */
  key: string;
  itemId: number;
  name: string;
  optionIds: number[];
  optionNames: string[];
  unitPrice: number;
  quantity: number;
}

export type Cart = CartLine[];

export const MAX_QUANTITY = 99;

export function lineKey(itemId: number, optionIds: number[]): string {
  return `${itemId}:${[...optionIds].sort((a, b) => a - b).join(",")}`;
}

function clampQuantity(quantity: number): number {
  return Math.max(0, Math.min(MAX_QUANTITY, Math.floor(quantity)));
}

/** Add an item with a (valid) selection; throws when the choice breaks a group's min/max. */
export function addToCart(cart: Cart, item: MenuItem, selection: Selection, quantity = 1): Cart {
  if (!item.available) throw new Error(`${item.name} is not available`);
  if (validateSelection(item, selection).length) throw new Error("invalid modifier choice");
  const optionIds = chosenOptionIds(item, selection);
  const key = lineKey(item.id, optionIds);
  const existing = cart.find((l) => l.key === key);
  if (existing) return setQuantity(cart, key, existing.quantity + quantity);
  const names = item.modifier_groups.flatMap((g) =>
    g.options.filter((o) => optionIds.includes(o.id)).map((o) => o.name),
  );
  const line: CartLine = {
    key,
    itemId: item.id,
    name: item.name,
    optionIds,
    optionNames: names,
    unitPrice: unitPrice(item, selection),
    quantity: clampQuantity(quantity),
  };
  return line.quantity > 0 ? [...cart, line] : cart;
}

/** Set a line's quantity; 0 removes it. */
export function setQuantity(cart: Cart, key: string, quantity: number): Cart {
  const q = clampQuantity(quantity);
  if (q === 0) return cart.filter((l) => l.key !== key);
  return cart.map((l) => (l.key === key ? { ...l, quantity: q } : l));
}

export function removeLine(cart: Cart, key: string): Cart {
  return cart.filter((l) => l.key !== key);
}

export function cartTotal(cart: Cart): number {
  return cart.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
}

export function cartCount(cart: Cart): number {
  return cart.reduce((sum, l) => sum + l.quantity, 0);
}

/**
 * Bring the cart in line with a new menu: lines whose item is gone or unavailable,
 * or whose options no longer make a valid choice, are dropped (and named so the
 * customer can be told); the rest take the menu's current names and prices.
 */
export function reconcileCart(cart: Cart, menu: Menu): { cart: Cart; dropped: string[] } {
  const items = new Map<number, MenuItem>();
  for (const c of menu.categories) for (const i of c.items) items.set(i.id, i);
  const kept: Cart = [];
  const dropped: string[] = [];
  for (const line of cart) {
    const item = items.get(line.itemId);
    if (!item || !item.available) {
      dropped.push(line.name);
      continue;
    }
    const selection: Selection = {};
    const known = new Set<number>();
    for (const g of item.modifier_groups) {
      selection[g.id] = g.options.filter((o) => line.optionIds.includes(o.id)).map((o) => o.id);
      g.options.forEach((o) => known.add(o.id));
    }
    if (!line.optionIds.every((id) => known.has(id)) || validateSelection(item, selection).length) {
      dropped.push(line.name);
      continue;
    }
    const names = item.modifier_groups.flatMap((g) =>
      g.options.filter((o) => line.optionIds.includes(o.id)).map((o) => o.name),
    );
    kept.push({ ...line, name: item.name, optionNames: names, unitPrice: unitPrice(item, selection) });
  }
  return { cart: kept, dropped };
}

/** The `items` of `POST /api/v1/store/orders`. */
export function orderItems(cart: Cart): { item_id: number; quantity: number; modifiers: number[] }[] {
  return cart.map((l) => ({ item_id: l.itemId, quantity: l.quantity, modifiers: l.optionIds }));
}
