// Modifier choice within each group's min/max (SPEC §3); the server checks again.
import type { MenuItem, ModifierGroup } from "./types";

/** option ids chosen, per group id */
export type Selection = Record<number, number[]>;

export interface GroupProblem {
  groupId: number;
  message: string;
}

/** A group with max 1 is a radio choice; with min 1 and max 1 it must be answered. */
export function isSingleChoice(group: ModifierGroup): boolean {
  return group.max === 1;
}

/** The starting selection: nothing chosen (a required single choice is not pre-picked). */
export function emptySelection(item: MenuItem): Selection {
  return Object.fromEntries(item.modifier_groups.map((g) => [g.id, [] as number[]]));
}

/**
 * Toggle one option. A single-choice group switches to it; a multi-choice group
 * refuses to go past its max (the selection is returned unchanged).
 */
export function toggleOption(group: ModifierGroup, selection: Selection, optionId: number): Selection {
  const chosen = selection[group.id] ?? [];
  let next: number[];
  if (chosen.includes(optionId)) {
    next = chosen.filter((id) => id !== optionId);
  } else if (isSingleChoice(group)) {
    next = [optionId];
  } else if (chosen.length >= group.max) {
    return selection;
  } else {
    next = [...chosen, optionId];
  }
  return { ...selection, [group.id]: next };
}

export function describeLimits(group: ModifierGroup): string {
  if (group.min === 0 && group.max === 1) return "optional, choose up to 1";
  if (group.min === group.max) return `choose ${group.min}`;
  if (group.min === 0) return `optional, choose up to ${group.max}`;
  return `choose ${group.min} to ${group.max}`;
}

/** What is wrong with the selection, one message per group; empty when it can be ordered. */
export function validateSelection(item: MenuItem, selection: Selection): GroupProblem[] {
  const problems: GroupProblem[] = [];
  for (const group of item.modifier_groups) {
    const valid = new Set(group.options.map((o) => o.id));
    const chosen = (selection[group.id] ?? []).filter((id) => valid.has(id));
    if (chosen.length < group.min) {
      problems.push({
        groupId: group.id,
        message:
          group.min === 1
            ? `Choose a ${group.name.toLowerCase()}.`
            : `Choose at least ${group.min} for ${group.name.toLowerCase()}.`,
      });
    } else if (chosen.length > group.max) {
      problems.push({
        groupId: group.id,
        message: `Choose at most ${group.max} for ${group.name.toLowerCase()}.`,
      });
    }
  }
  return problems;
}

/** Chosen option ids in menu order (the order payload's `modifiers`). */
export function chosenOptionIds(item: MenuItem, selection: Selection): number[] {
  return item.modifier_groups.flatMap((g) =>
    g.options.filter((o) => (selection[g.id] ?? []).includes(o.id)).map((o) => o.id),
  );
}

/** Item price plus chosen options, in minor units. */
export function unitPrice(item: MenuItem, selection: Selection): number {
  let total = item.price;
  for (const g of item.modifier_groups) {
    for (const o of g.options) if ((selection[g.id] ?? []).includes(o.id)) total += o.price;
  }
  return total;
}
