import { describe, expect, it } from "vitest";
import type { StaffUser } from "../src/lib/adminTypes";
import { canManage, canOpen, invitableRoles } from "../src/lib/roles";

const user = (id: number, role: StaffUser["role"]): StaffUser => ({ id, email: `${role}@x`, role, status: "active", active: true, created_at: "", last_login_at: null });

describe("roles", () => {
  it("keeps staff out of the staff accounts, hours and reports", () => {
    expect(canOpen("staff", "staff")).toBe(false);
    expect(canOpen("staff", "reports")).toBe(false);
    expect(canOpen("staff", "hours")).toBe(false);
    expect(canOpen("staff", "history")).toBe(true);
    expect(canOpen("manager", "staff")).toBe(true);
    expect(canOpen("owner", "staff")).toBe(true);
  });

  it("lets managers manage staff accounts only", () => {
    expect(invitableRoles("owner")).toEqual(["manager", "staff"]);
    expect(invitableRoles("manager")).toEqual(["staff"]);
    expect(invitableRoles("staff")).toEqual([]);
    expect(canManage("manager", user(2, "staff"), 1)).toBe(true);
    expect(canManage("manager", user(2, "manager"), 1)).toBe(false);
    expect(canManage("owner", user(2, "manager"), 1)).toBe(true);
    expect(canManage("owner", user(1, "owner"), 1)).toBe(false);
  });
});
