import { describe, expect, it } from "vitest";
import { type GroupDraft, toDrafts, validateGroups } from "../src/lib/groupDraft";

function draft(over: Partial<GroupDraft> = {}): GroupDraft {
  return {
    key: "g",
    name: "Sauce",
    min: "1",
    max: "2",
    options: [
      { key: "a", name: "Pesto", price: "1.50" },
      { key: "b", name: "Aioli", price: "0" },
    ],
    ...over,
  };
}

describe("modifier group drafts", () => {
  it("turn money text into minor units", () => {
    expect(validateGroups([draft()], "EUR")).toEqual({
      groups: [{ name: "Sauce", min: 1, max: 2, options: [{ name: "Pesto", price: 150 }, { name: "Aioli", price: 0 }] }],
    });
    expect(validateGroups([draft({ options: [{ key: "a", name: "Big", price: "300" }] })], "JPY")).toEqual({
      groups: [{ name: "Sauce", min: 1, max: 2, options: [{ name: "Big", price: 300 }] }],
    });
  });

  it("refuse what the server refuses, naming the group", () => {
    const error = (d: GroupDraft) => ("error" in validateGroups([d], "EUR") ? (validateGroups([d], "EUR") as { error: string }).error : null);
    expect(error(draft({ min: "2", max: "1" }))).toMatch(/Sauce: the maximum cannot be less than the minimum/);
    expect(error(draft({ min: "0", max: "0" }))).toMatch(/maximum must be at least 1/);
    expect(error(draft({ min: "-1" }))).toMatch(/minimum must be a whole number/);
    expect(error(draft({ options: [{ key: "a", name: "Pesto", price: "-1" }] }))).toMatch(/price of Pesto/);
    expect(error(draft({ options: [{ key: "a", name: "Pesto", price: "1.505" }] }))).toMatch(/price of Pesto/);
    expect(error(draft({ name: " " }))).toMatch(/Group 1: give the group a name/);
    expect(error(draft({ options: [] }))).toMatch(/at least one option/);
    expect(error(draft({ min: "3", max: "3" }))).toMatch(/at least 3 options/);
  });

  it("start from the item's groups", () => {
    const [d] = toDrafts([{ id: 1, name: "Size", min: 1, max: 1, options: [{ id: 2, name: "Large", price: 300 }] }], "EUR");
    expect(d).toMatchObject({ name: "Size", min: "1", max: "1", options: [{ name: "Large", price: "3.00" }] });
  });
});
