// Moving one entry of an ordered list (drag and drop, or the keyboard).

/** A copy of `list` with the entry at `from` moved to index `to` (clamped). */
export function moveEntry<T>(list: readonly T[], from: number, to: number): T[] {
  const next = [...list];
  if (from < 0 || from >= list.length) return next;
  const target = Math.max(0, Math.min(list.length - 1, to));
  const [moved] = next.splice(from, 1);
  next.splice(target, 0, moved);
  return next;
}

/** True when both lists hold the same ids in the same order. */
export function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * What a key does to a lifted entry at `at` of `length`: the index to move it
 * to, "cancel" (Escape), or null (not a moving key, or already at that end).
 */
export function keyboardTarget(key: string, at: number, length: number): number | "cancel" | null {
  let to: number;
  if (key === "ArrowUp" || key === "ArrowLeft") to = at - 1;
  else if (key === "ArrowDown" || key === "ArrowRight") to = at + 1;
  else if (key === "Home") to = 0;
  else if (key === "End") to = length - 1;
  else if (key === "Escape") return "cancel";
  else return null;
  return to < 0 || to >= length || to === at ? null : to;
}
