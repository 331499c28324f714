// The cart, kept in this browser (per restaurant host) and checked against the menu.
import { useCallback, useEffect, useState } from "react";
import { type Cart, reconcileCart } from "../lib/cart";
import type { Menu } from "../lib/types";

const SLOT = "stelly.cart";

function load(): Cart {
  try {
    const raw = localStorage.getItem(SLOT);
    const cart = raw ? (JSON.parse(raw) as Cart) : [];
    return Array.isArray(cart) ? cart : [];
  } catch {
    return [];
  }
}

function save(cart: Cart): void {
  try {
    localStorage.setItem(SLOT, JSON.stringify(cart));
  } catch {
    // private mode: the cart lives as long as the page
  }
}

export function useCart(menu: Menu | null) {
  const [cart, setCartState] = useState<Cart>(load);
  const [dropped, setDropped] = useState<string[]>([]);

  // written at once, not in an effect: placing an order clears the cart and
  // leaves the page in the same tick
  const setCart = useCallback((next: Cart) => {
    save(next);
    setCartState(next);
  }, []);

  // a new menu may take items off, or change prices
  useEffect(() => {
    if (!menu) return;
    const result = reconcileCart(load(), menu);
    if (result.dropped.length) setDropped(result.dropped);
    setCart(result.cart);
  }, [menu, setCart]);

  return { cart, setCart, dropped, clearDropped: () => setDropped([]) };
}
