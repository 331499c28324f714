// The cart, kept in this browser (per restaurant host) and checked against the menu.
import { useEffect, useState } from "react";
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

export function useCart(menu: Menu | null) {
  const [cart, setCart] = useState<Cart>(load);
  const [dropped, setDropped] = useState<string[]>([]);

  useEffect(() => {
    try {
      localStorage.setItem(SLOT, JSON.stringify(cart));
    } catch {
      // private mode: the cart lives as long as the page
    }
  }, [cart]);

  // a new menu may take items off, or change prices
  useEffect(() => {
    if (!menu) return;
    setCart((current) => {
      const result = reconcileCart(current, menu);
      if (result.dropped.length) setDropped(result.dropped);
      return result.cart;
    });
  }, [menu]);

  return { cart, setCart, dropped, clearDropped: () => setDropped([]) };
}
