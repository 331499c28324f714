// Wire types of the public API (SPEC §3, §4), named for the app's code.
//
// The REST types are aliases of the types generated from the services' own
// OpenAPI documents (`make openapi` writes ./api/*.ts from
// web/public/openapi/*.json; `make test` fails when they drift from what the
// services publish), so `tsc` checks the app against the real contract. Only
// the realtime event payloads are written here: they are not part of an
// OpenAPI document (the realtime protocol is AsyncAPI, docs/).
import type { components as MediaApi } from "./api/media";
import type { components as MenuApi } from "./api/menu";

type MenuSchemas = MenuApi["schemas"];
type MediaSchemas = MediaApi["schemas"];

export type Store = MenuSchemas["StoreOut"];
export type Menu = MenuSchemas["Menu"];
export type MenuCategory = MenuSchemas["MenuCategory"];
export type MenuItem = MenuSchemas["MenuItem"];
export type MenuImage = MenuSchemas["MenuImage"];
export type ModifierGroup = MenuSchemas["MenuGroup"];
export type MenuOption = MenuSchemas["MenuOption"];

export type OrderStatus = MenuSchemas["OrderPatch"]["status"];
export type Fulfillment = MenuSchemas["OrderCreate"]["fulfillment"];
/** The body of `POST /api/v1/store/orders`. */
export type NewOrder = MenuSchemas["OrderCreate"];
export type OrderLineIn = MenuSchemas["OrderLineIn"];

/**
 * An order's `status` and `fulfillment` as the server sends them. The menu
 * document types them as plain strings in responses (the response struct says
 * `str`), though only the values of `OrderStatus` and `Fulfillment` are ever
 * sent; this narrowing is a no-op once the document says so too.
 */
type KnownStates<T> = Omit<T, "status" | "fulfillment"> & { status: OrderStatus; fulfillment: Fulfillment };

/** An order as the REST API returns it. */
export type OrderOut = KnownStates<MenuSchemas["OrderOut"]>;
/** The answer to placing an order: the order and its tracking token. */
export type CreatedOrder = KnownStates<MenuSchemas["CreatedOrder"]>;

/** `data` of the `order.created` / `order.updated` events (SPEC §4): no phone number, modifier names only. */
export interface OrderEventData {
  id: number;
  number: number;
  status: OrderStatus;
  fulfillment: Fulfillment;
  table: string | null;
  customer_name: string;
  note: string | null;
  total: number;
  currency: string;
  items: { name: string; quantity: number; modifiers: string[]; note: string | null }[];
  created_at: string;
  updated_at: string;
}

/** An order on the kitchen board: from REST, or from an event when the board first hears of it. */
export type Order = OrderOut | OrderEventData;

export type AdminCategory = MenuSchemas["CategoryOut"];
export type AdminItem = MenuSchemas["ItemOut"];
/** The body of `PATCH /api/v1/admin/items/{id}`: `modifier_groups` replaces the whole list. */
export type ItemPatch = MenuSchemas["ItemPatch"];
/** One modifier group as an item write sends it. */
export type GroupIn = MenuSchemas["GroupIn"];

/** The answer to an upload: the new image's id, still processing. */
export type ImageAccepted = MediaSchemas["ImageAccepted"];
/** An uploaded image: its processing status, and its variants once ready. */
export type ImageOut = MediaSchemas["ImageOut"];
