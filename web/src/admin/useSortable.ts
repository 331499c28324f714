// Reordering a list by drag and drop (HTML5 drag events) and by keyboard: a
// focusable handle; Space or Enter lifts, the arrow keys move, Space or Enter
// drops, Escape puts it back. Every step is announced through `announce`.
import { useLayoutEffect, useRef, useState } from "react";
import { keyboardTarget, moveEntry, sameOrder } from "../lib/reorder";

interface Options {
  ids: number[];
  /** What the entry is called in announcements. */
  name(id: number): string;
  announce(text: string): void;
  /** The new order, once dropped (not called when nothing moved). */
  commit(ids: number[]): void;
}

export interface HandleProps {
  draggable: true;
  "aria-pressed": boolean;
  onClick(): void;
  onKeyDown(e: React.KeyboardEvent): void;
  onDragStart(e: React.DragEvent): void;
  onDragEnd(): void;
  onBlur(): void;
  ref(el: HTMLElement | null): void;
}

export interface RowProps {
  onDragOver(e: React.DragEvent): void;
  onDrop(e: React.DragEvent): void;
  "data-dragging"?: boolean;
}

export function useSortable({ ids, name, announce, commit }: Options) {
  const [draft, setDraft] = useState<number[] | null>(null); // the order while moving
  const [lifted, setLifted] = useState<number | null>(null); // keyboard
  const [dragging, setDragging] = useState<number | null>(null); // pointer
  const handles = useRef(new Map<number, HTMLElement>());
  const order = draft ?? ids;
  const orderRef = useRef(order);
  orderRef.current = order;
  const liftedRef = useRef(lifted);
  liftedRef.current = lifted;

  // moving a node in the DOM drops its focus: give it back to the lifted handle
  // (in the commit, before the blur handler's timeout looks)
  useLayoutEffect(() => {
    if (lifted !== null && document.activeElement !== handles.current.get(lifted)) handles.current.get(lifted)?.focus();
  }, [order, lifted]);

  const position = (id: number, list = orderRef.current) => `position ${list.indexOf(id) + 1} of ${list.length}`;

  function finish(id: number, cancelled: boolean) {
    const final = orderRef.current;
    setDraft(null);
    setLifted(null);
    setDragging(null);
    if (cancelled) {
      announce(`${name(id)}: move cancelled, back at ${position(id, ids)}.`);
      return;
    }
    announce(`${name(id)} dropped at ${position(id, final)}.`);
    if (!sameOrder(final, ids)) commit(final);
  }

  function handleProps(id: number): HandleProps {
    return {
      draggable: true,
      "aria-pressed": lifted === id,
      ref: (el) => {
        if (el) handles.current.set(id, el);
        else handles.current.delete(id);
      },
      onClick: () => {
        if (lifted === id) return finish(id, false);
        setDraft(ids);
        setLifted(id);
        announce(`${name(id)} lifted, at ${position(id, ids)}. Use the up and down arrow keys to move it, Space to drop it, Escape to cancel.`);
      },
      onKeyDown: (e) => {
        if (lifted !== id) return;
        const at = orderRef.current.indexOf(id);
        const to = keyboardTarget(e.key, at, orderRef.current.length);
        // the arrow keys never scroll the page while an entry is lifted
        if (to !== null || e.key.startsWith("Arrow")) e.preventDefault();
        if (to === "cancel") return finish(id, true);
        if (to === null) return;
        const next = moveEntry(orderRef.current, at, to);
        setDraft(next);
        announce(`${name(id)} moved to ${position(id, next)}.`);
      },
      onBlur: () => {
        // focus went elsewhere (not our own DOM move): the lift ends where it is
        setTimeout(() => {
          if (liftedRef.current === id && document.activeElement !== handles.current.get(id)) finish(id, true);
        }, 0);
      },
      onDragStart: (e) => {
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", name(id));
        const row = (e.currentTarget as HTMLElement).closest("[data-sortable-row]");
        if (row) e.dataTransfer.setDragImage(row, 16, 16);
        setDraft(ids);
        setDragging(id);
      },
      onDragEnd: () => {
        if (dragging !== null) finish(dragging, false);
      },
    };
  }

  function rowProps(id: number): RowProps {
    return {
      "data-dragging": dragging === id || lifted === id ? true : undefined,
      onDragOver: (e) => {
        if (dragging === null) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = "move";
        if (id === dragging) return;
        const list = orderRef.current;
        setDraft(moveEntry(list, list.indexOf(dragging), list.indexOf(id)));
      },
      onDrop: (e) => {
        if (dragging === null) return;
        e.preventDefault();
        finish(dragging, false);
      },
    };
  }

  return { order, handleProps, rowProps };
}
