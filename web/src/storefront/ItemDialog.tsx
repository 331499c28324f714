import { useEffect, useId, useRef, useState } from "react";
import { formatPrice, formatSurcharge } from "../lib/money";
import { describeLimits, emptySelection, isSingleChoice, type Selection, toggleOption, unitPrice, validateSelection } from "../lib/modifiers";
import type { MenuItem } from "../lib/types";

interface Props {
  item: MenuItem;
  currency: string;
  onAdd(selection: Selection, quantity: number): void;
  onClose(): void;
}

/** Choose an item's modifiers within each group's min/max, then add it to the cart. */
export function ItemDialog({ item, currency, onAdd, onClose }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const [selection, setSelection] = useState<Selection>(() => emptySelection(item));
  const [quantity, setQuantity] = useState(1);
  const [tried, setTried] = useState(false);
  const titleId = useId();
  const problems = validateSelection(item, selection);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  function submit(e: React.FormEvent) {
    e.preventDefault();
    setTried(true);
    if (problems.length === 0) onAdd(selection, quantity);
  }

  return (
    <dialog ref={ref} className="item-dialog" aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <form onSubmit={submit} noValidate>
        <header>
          <h2 id={titleId}>{item.name}</h2>
          <button type="button" className="icon" aria-label="Close" onClick={onClose}>×</button>
        </header>
        {item.description && <p className="muted">{item.description}</p>}
        {item.modifier_groups.map((group) => {
          const problem = tried ? problems.find((p) => p.groupId === group.id) : undefined;
          const chosen = selection[group.id] ?? [];
          const single = isSingleChoice(group);
          return (
            <fieldset key={group.id} className={problem ? "invalid" : undefined} aria-describedby={problem ? `g${group.id}-err` : undefined}>
              <legend>
                {group.name} <span className="muted">({describeLimits(group)})</span>
              </legend>
              {group.options.map((option) => {
                const checked = chosen.includes(option.id);
                const full = !single && !checked && chosen.length >= group.max;
                return (
                  <label key={option.id} className={`choice${full ? " disabled" : ""}`}>
                    <input
                      type={single ? "radio" : "checkbox"}
                      name={`group-${group.id}`}
                      checked={checked}
                      disabled={full}
                      onChange={() => setSelection((s) => toggleOption(group, s, option.id))}
                      onClick={(e) => {
                        // a radio in an optional group can be unchosen again
                        if (single && group.min === 0 && checked) {
                          e.preventDefault();
                          setSelection((s) => toggleOption(group, s, option.id));
                        }
                      }}
                    />
                    <span>{option.name}</span>
                    <span className="muted">{formatSurcharge(option.price, currency)}</span>
                  </label>
                );
              })}
              {problem && (
                <p id={`g${group.id}-err`} className="error" role="alert">
                  {problem.message}
                </p>
              )}
            </fieldset>
          );
        })}
        <footer>
          <label className="qty">
            Quantity
            <input type="number" min={1} max={99} value={quantity} onChange={(e) => setQuantity(Math.max(1, Math.min(99, Number(e.target.value) || 1)))} />
          </label>
          <button type="submit" className="primary">
            Add to order · {formatPrice(unitPrice(item, selection) * quantity, currency)}
          </button>
        </footer>
      </form>
    </dialog>
  );
}
