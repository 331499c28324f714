import { emptyGroup, emptyOption, type GroupDraft, type OptionDraft } from "../lib/groupDraft";

interface Props {
  groups: GroupDraft[];
  currency: string;
  onChange(groups: GroupDraft[]): void;
}

/** An item's modifier groups and their options (sent with the item's Save). */
export function ModifierGroupsEditor({ groups, currency, onChange }: Props) {
  const setGroup = (key: string, patch: Partial<GroupDraft>) => onChange(groups.map((g) => (g.key === key ? { ...g, ...patch } : g)));
  return (
    <div className="groups-editor">
      <h4>Choices (modifier groups)</h4>
      {groups.length === 0 && <p className="muted small">No choices: the item is added to an order as it is.</p>}
      {groups.map((g, gi) => {
        const label = g.name.trim() || `group ${gi + 1}`;
        const setOption = (key: string, patch: Partial<OptionDraft>) => setGroup(g.key, { options: g.options.map((o) => (o.key === key ? { ...o, ...patch } : o)) });
        return (
          <fieldset key={g.key} className="group-draft">
            <legend>Group {gi + 1}{g.name.trim() ? `: ${g.name.trim()}` : ""}</legend>
            <div className="group-fields">
              <label>
                Group name
                <input value={g.name} onChange={(e) => setGroup(g.key, { name: e.target.value })} maxLength={100} placeholder="Size" />
              </label>
              <label>
                Choose at least
                <input type="number" inputMode="numeric" min={0} value={g.min} onChange={(e) => setGroup(g.key, { min: e.target.value })} size={3} />
              </label>
              <label>
                Choose at most
                <input type="number" inputMode="numeric" min={1} value={g.max} onChange={(e) => setGroup(g.key, { max: e.target.value })} size={3} />
              </label>
            </div>
            <ul className="option-drafts">
              {g.options.map((o, oi) => (
                <li key={o.key}>
                  <label>
                    Option name<span className="sr-only"> {oi + 1} of {label}</span>
                    <input value={o.name} onChange={(e) => setOption(o.key, { name: e.target.value })} maxLength={100} />
                  </label>
                  <label>
                    Extra price ({currency})<span className="sr-only"> of option {oi + 1} of {label}</span>
                    <input inputMode="decimal" value={o.price} onChange={(e) => setOption(o.key, { price: e.target.value })} size={7} />
                  </label>
                  <button type="button" className="link" aria-label={`Remove option ${o.name || oi + 1} from ${label}`} onClick={() => setGroup(g.key, { options: g.options.filter((x) => x.key !== o.key) })}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
            <div className="actions">
              <button type="button" onClick={() => setGroup(g.key, { options: [...g.options, emptyOption()] })}>Add option<span className="sr-only"> to {label}</span></button>
              <button type="button" className="danger" onClick={() => onChange(groups.filter((x) => x.key !== g.key))}>Remove group<span className="sr-only"> {label}</span></button>
            </div>
          </fieldset>
        );
      })}
      <button type="button" onClick={() => onChange([...groups, emptyGroup()])}>Add a group of choices</button>
    </div>
  );
}
