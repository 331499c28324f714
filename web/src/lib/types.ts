// Wire types of the public API (SPEC §3, §4).

export interface Store {
  slug: string;
  name: string;
  currency: string;
  timezone: string;
  is_open: boolean;
  realtime_url: string;
}

export interface MenuOption {
  id: number;
  name: string;
  price: number;
}

export interface ModifierGroup {
  id: number;
  name: string;
  min: number;
  max: number;
  options: MenuOption[];
}

export interface MenuImage {
  id: string;
  variants: Record<string, string>;
}

export interface MenuItem {
  id: number;
  name: string;
  description: string;
  price: number;
  available: boolean;
  tags: string[];
  image: MenuImage | null;
  modifier_groups: ModifierGroup[];
}

export interface MenuCategory {
  id: number;
  name: string;
  position: number;
  items: MenuItem[];
}

export interface Menu {
  version: number;
  currency: string;
  categories: MenuCategory[];
}

export type OrderStatus =
  | "received"
  | "accepted"
  | "preparing"
  | "ready"
  | "completed"
  | "cancelled";

export interface OrderLine {
  item_id?: number;
  name: string;
  quantity: number;
  unit_price?: number;
  modifiers: (MenuOption | string)[];
  note: string | null;
  total?: number;
}

export interface Order {
  id: number;
  number: number;
  status: OrderStatus;
  fulfillment: "pickup" | "dine_in";
  table: string | null;
  customer?: { name: string; phone?: string | null };
  customer_name?: string;
  note: string | null;
  total: number;
  currency: string;
  items: OrderLine[];
  created_at: string;
  updated_at: string;
  token?: string;
}

export interface AdminCategory {
  id: number;
  name: string;
  position: number;
  item_count: number;
}

export interface AdminItem extends MenuItem {
  category_id: number;
  image_id: string | null;
  position: number;
}

export interface ImageStatus {
  id: string;
  status: "processing" | "ready" | "failed";
  width?: number | null;
  height?: number | null;
  variants?: Record<string, string> | null;
}
