// What each staff role may open (SPEC roles: owner everything; manager menu,
// hours, reports and staff accounts of role staff; staff orders, history and
// item availability). The server enforces it; the app only hides what would
// be refused.
import type { Role, StaffUser } from "./adminTypes";
import type { AdminTab } from "../router";

const TABS: Record<Role, readonly AdminTab[]> = {
  owner: ["kitchen", "menu", "hours", "history", "reports", "staff"],
  manager: ["kitchen", "menu", "hours", "history", "reports", "staff"],
  staff: ["kitchen", "menu", "history"],
};

export function canOpen(role: Role, tab: AdminTab): boolean {
  return TABS[role].includes(tab);
}

/** Whether the menu editor may change more than availability. */
export function canEditMenu(role: Role): boolean {
  return role !== "staff";
}

/** The roles this role may invite. */
export function invitableRoles(role: Role): Role[] {
  if (role === "owner") return ["manager", "staff"];
  if (role === "manager") return ["staff"];
  return [];
}

/** Whether `role` may disable, enable or reset the password of `user`. */
export function canManage(role: Role, user: StaffUser, selfId: number): boolean {
  if (user.id === selfId || user.role === "owner") return false;
  return invitableRoles(role).includes(user.role);
}
