// Wire types of the issue-16 staff endpoints (hours, staff accounts, order
// history, reports): aliases of the menu service's generated OpenAPI types
// (./api/menu), narrowed where the document says `string` for what is only
// ever one of a few values (roles), as ./types.ts does for order states.
import type { components as MenuApi } from "./api/menu";

type Schemas = MenuApi["schemas"];

export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

export type Interval = Schemas["Interval"];

/** `null` = open around the clock; a day left out = closed that day. */
export type OpeningHours = Partial<Record<Weekday, Interval[]>> | null;

/** A dated change to the week: no intervals = closed all day. */
export type HoursException = Schemas["HoursException"];

/** `GET|PATCH /api/v1/admin/store`. */
export type AdminStoreSettings = Schemas["AdminStore"];

/** `data` of the `store.updated` event on the `menu` channel (realtime: not in the OpenAPI document). */
export interface StoreUpdatedData {
  is_open: boolean;
  closed_now: boolean;
}

export type Role = "owner" | "manager" | "staff";

/** `GET /api/v1/auth/me`. */
export type Me = Omit<Schemas["Me"], "role"> & { role: Role };

export type StaffUser = Omit<Schemas["StaffUser"], "role"> & { role: Role };
export type StaffStatus = StaffUser["status"];

export type Invitation = Omit<Schemas["InvitationOut"], "user"> & { user: StaffUser };
export type PasswordReset = Schemas["ResetOut"];
export type TokenResponse = Schemas["TokenResponse"];

export type HistoryOrder = Schemas["HistoryOrder"];
export type HistoryPage = Schemas["OrderHistoryPage"];
export type StatusChange = Schemas["StatusChange"];
/** `GET /api/v1/admin/orders/{id}`: the order with its status history. */
export type AdminOrder = Schemas["AdminOrderOut"];

export type ReportSummary = Schemas["Summary"];
export type ReportExportKind = "orders" | "hours" | "items";
