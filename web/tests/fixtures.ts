import type { Menu, MenuItem } from "../src/lib/types";

export const pizza: MenuItem = {
  id: 10,
  name: "Margherita",
  description: "Tomato, mozzarella, basil",
  price: 900,
  available: true,
  tags: ["vegetarian"],
  image: null,
  modifier_groups: [
    { id: 1, name: "Size", min: 1, max: 1, options: [{ id: 101, name: "Regular", price: 0 }, { id: 102, name: "Large", price: 300 }] },
    {
      id: 2,
      name: "Extra toppings",
      min: 0,
      max: 2,
      options: [
        { id: 201, name: "Olives", price: 100 },
        { id: 202, name: "Basil", price: 50 },
        { id: 203, name: "Chili", price: 80 },
      ],
    },
  ],
};

export const water: MenuItem = {
  id: 20,
  name: "Water",
  description: "",
  price: 300,
  available: true,
  tags: [],
  image: null,
  modifier_groups: [],
};

export function menuWith(...items: MenuItem[]): Menu {
  return { version: 1, currency: "EUR", categories: [{ id: 1, name: "All", position: 0, items }] };
}
