import { useId, useState } from "react";

const MAX_TAG = 30;

/** Tags as chips: type and press Enter (or a comma) to add, × to remove. */
export function TagInput({ tags, onChange }: { tags: string[]; onChange(tags: string[]): void }) {
  const [text, setText] = useState("");
  const id = useId();

  function add(raw: string) {
    const tag = raw.trim().toLowerCase().slice(0, MAX_TAG);
    setText("");
    if (tag && !tags.includes(tag)) onChange([...tags, tag]);
  }

  return (
    <div className="tags" role="group" aria-labelledby={`${id}-l`}>
      <span id={`${id}-l`} className="field-label">Tags</span>
      <ul className="chips" aria-label="Current tags">
        {tags.map((t) => (
          <li key={t} className="chip">
            {t}
            <button type="button" className="chip-remove" aria-label={`Remove tag ${t}`} onClick={() => onChange(tags.filter((x) => x !== t))}>
              ×
            </button>
          </li>
        ))}
      </ul>
      <label htmlFor={id} className="sr-only">Add a tag</label>
      <input
        id={id}
        value={text}
        placeholder="Add a tag (vegan, spicy…)"
        maxLength={MAX_TAG}
        onChange={(e) => (e.target.value.endsWith(",") ? add(e.target.value.slice(0, -1)) : setText(e.target.value))}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault(); // not the item form's submit
            add(text);
          } else if (e.key === "Backspace" && !text && tags.length) {
            onChange(tags.slice(0, -1));
          }
        }}
        onBlur={() => text.trim() && add(text)}
      />
    </div>
  );
}
