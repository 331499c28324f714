import { describe, expect, it } from "vitest";
import { actionsFor, column, mergeOrder } from "../src/lib/lifecycle";
import type { Order } from "../src/lib/types";

function order(id: number, status: Order["status"], updated: string, created = updated): Order {
  return { id, number: id, status, fulfillment: "pickup", table: null, customer_name: "Ada", note: null, total: 0, currency: "EUR", items: [], created_at: created, updated_at: updated };
}

describe("kitchen board lifecycle", () => {
  it("offers only the SPEC's transitions", () => {
    expect(actionsFor("received").map((a) => a.to)).toEqual(["accepted", "cancelled"]);
    expect(actionsFor("accepted").map((a) => a.to)).toEqual(["preparing", "cancelled"]);
    expect(actionsFor("preparing").map((a) => a.to)).toEqual(["ready"]);
    expect(actionsFor("ready").map((a) => a.to)).toEqual(["completed"]);
    expect(actionsFor("completed")).toEqual([]);
    expect(actionsFor("cancelled")).toEqual([]);
  });

  it("merges by id and never lets an older copy win", () => {
    let board = mergeOrder([], order(1, "received", "2026-01-01T10:00:00Z"));
    board = mergeOrder(board, order(1, "accepted", "2026-01-01T10:01:00Z"));
    board = mergeOrder(board, order(1, "received", "2026-01-01T10:00:00Z"));
    expect(board).toHaveLength(1);
    expect(board[0].status).toBe("accepted");
  });

  it("lists a column oldest first", () => {
    const board = [order(2, "received", "2026-01-01T10:05:00Z"), order(1, "received", "2026-01-01T10:00:00Z"), order(3, "ready", "2026-01-01T09:00:00Z")];
    expect(column(board, "received").map((o) => o.id)).toEqual([1, 2]);
  });
});
