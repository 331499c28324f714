import { describe, expect, it } from "vitest";
import { chosenOptionIds, describeLimits, emptySelection, toggleOption, unitPrice, validateSelection } from "../src/lib/modifiers";
import { pizza, water } from "./fixtures";

const [size, toppings] = pizza.modifier_groups;

describe("modifier choice", () => {
  it("requires an answer to a group with min 1", () => {
    const problems = validateSelection(pizza, emptySelection(pizza));
    expect(problems).toEqual([{ groupId: 1, message: "Choose a size." }]);
  });

  it("a single-choice group switches option instead of adding", () => {
    let sel = toggleOption(size, emptySelection(pizza), 101);
    sel = toggleOption(size, sel, 102);
    expect(sel[1]).toEqual([102]);
    expect(validateSelection(pizza, sel)).toEqual([]);
  });

  it("a multi-choice group refuses to go past its max", () => {
    let sel = toggleOption(size, emptySelection(pizza), 101);
    sel = toggleOption(toppings, sel, 201);
    sel = toggleOption(toppings, sel, 202);
    const again = toggleOption(toppings, sel, 203);
    expect(again).toBe(sel);
    expect(toggleOption(toppings, sel, 201)[2]).toEqual([202]);
  });

  it("reports a selection over max (e.g. from a stale cart)", () => {
    const sel = { 1: [101], 2: [201, 202, 203] };
    expect(validateSelection(pizza, sel)).toEqual([{ groupId: 2, message: "Choose at most 2 for extra toppings." }]);
  });

  it("ignores option ids the group does not have", () => {
    expect(validateSelection(pizza, { 1: [999] })).toHaveLength(1);
  });

  it("prices the item with its chosen options, in minor units", () => {
    const sel = { 1: [102], 2: [201, 202] };
    expect(unitPrice(pizza, sel)).toBe(900 + 300 + 100 + 50);
    expect(unitPrice(water, {})).toBe(300);
  });

  it("lists chosen options in menu order", () => {
    expect(chosenOptionIds(pizza, { 1: [102], 2: [202, 201] })).toEqual([102, 201, 202]);
  });

  it("describes limits in words", () => {
    expect(describeLimits(size)).toBe("choose 1");
    expect(describeLimits(toppings)).toBe("optional, choose up to 2");
    expect(describeLimits({ ...toppings, min: 1, max: 3 })).toBe("choose 1 to 3");
  });
});
