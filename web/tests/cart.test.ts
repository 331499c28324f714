import { describe, expect, it } from "vitest";
import { addToCart, cartCount, cartTotal, orderItems, reconcileCart, setQuantity, MAX_QUANTITY } from "../src/lib/cart";
import { menuWith, pizza, water } from "./fixtures";

describe("cart", () => {
  it("adds lines and merges the same item with the same options", () => {
    let cart = addToCart([], pizza, { 1: [102], 2: [201] });
    cart = addToCart(cart, pizza, { 2: [201], 1: [102] }, 2);
    cart = addToCart(cart, pizza, { 1: [101] });
    cart = addToCart(cart, water, {});
    expect(cart).toHaveLength(3);
    expect(cart[0].quantity).toBe(3);
    expect(cart[0].optionNames).toEqual(["Large", "Olives"]);
    expect(cartCount(cart)).toBe(5);
    expect(cartTotal(cart)).toBe(3 * 1300 + 900 + 300);
  });

  it("refuses an invalid modifier choice and an unavailable item", () => {
    expect(() => addToCart([], pizza, {})).toThrow();
    expect(() => addToCart([], { ...water, available: false }, {})).toThrow(/not available/);
  });

  it("sets quantities within 0..99; 0 removes the line", () => {
    let cart = addToCart([], water, {});
    const key = cart[0].key;
    cart = setQuantity(cart, key, 500);
    expect(cart[0].quantity).toBe(MAX_QUANTITY);
    expect(setQuantity(cart, key, 0)).toEqual([]);
    expect(setQuantity(cart, key, -3)).toEqual([]);
  });

  it("builds the order payload's items", () => {
    const cart = addToCart(addToCart([], pizza, { 1: [102], 2: [202, 201] }, 2), water, {});
    expect(orderItems(cart)).toEqual([
      { item_id: 10, quantity: 2, modifiers: [102, 201, 202] },
      { item_id: 20, quantity: 1, modifiers: [] },
    ]);
  });

  it("drops lines whose item became unavailable or whose options went away, and reprices the rest", () => {
    const cart = addToCart(addToCart([], pizza, { 1: [102], 2: [201] }), water, {});
    const cheaper = { ...pizza, price: 800 };
    expect(reconcileCart(cart, menuWith(cheaper, { ...water, available: false }))).toEqual({
      cart: [{ ...cart[0], unitPrice: 800 + 300 + 100 }],
      dropped: ["Water"],
    });
    const noOlives = {
      ...pizza,
      modifier_groups: [pizza.modifier_groups[0], { ...pizza.modifier_groups[1], options: pizza.modifier_groups[1].options.slice(1) }],
    };
    expect(reconcileCart(cart, menuWith(noOlives, water)).dropped).toEqual(["Margherita"]);
    expect(reconcileCart(cart, menuWith(water)).dropped).toEqual(["Margherita"]);
  });
});
