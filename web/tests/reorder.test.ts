import { describe, expect, it } from "vitest";
import { keyboardTarget, moveEntry, sameOrder } from "../src/lib/reorder";

describe("reordering", () => {
  it("moves one entry and clamps at the ends", () => {
    expect(moveEntry([1, 2, 3, 4], 0, 2)).toEqual([2, 3, 1, 4]);
    expect(moveEntry([1, 2, 3, 4], 3, 0)).toEqual([4, 1, 2, 3]);
    expect(moveEntry([1, 2, 3], 2, 9)).toEqual([1, 2, 3]);
    expect(moveEntry([1, 2, 3], 0, -1)).toEqual([1, 2, 3]);
    expect(sameOrder([1, 2], [1, 2])).toBe(true);
    expect(sameOrder([1, 2], [2, 1])).toBe(false);
  });
});

describe("keyboard reordering", () => {
  it("moves with the arrows, Home and End, and cancels with Escape", () => {
    expect(keyboardTarget("ArrowUp", 2, 4)).toBe(1);
    expect(keyboardTarget("ArrowDown", 2, 4)).toBe(3);
    expect(keyboardTarget("Home", 2, 4)).toBe(0);
    expect(keyboardTarget("End", 2, 4)).toBe(3);
    expect(keyboardTarget("ArrowUp", 0, 4)).toBeNull();
    expect(keyboardTarget("ArrowDown", 3, 4)).toBeNull();
    expect(keyboardTarget("Escape", 1, 4)).toBe("cancel");
    expect(keyboardTarget("a", 1, 4)).toBeNull();
  });
});
