import { useState } from "react";
import { bestSrc } from "../lib/images";
import { type GroupDraft, toDrafts, validateGroups } from "../lib/groupDraft";
import { formatPrice, parsePrice, priceInputValue } from "../lib/money";
import type { AdminCategory, AdminItem, ItemPatch } from "../lib/types";
import { DragHandle } from "./DragHandle";
import { ImageUpload } from "./ImageUpload";
import { ModifierGroupsEditor } from "./ModifierGroupsEditor";
import { TagInput } from "./TagInput";
import type { HandleProps, RowProps } from "./useSortable";

interface Props {
  item: AdminItem;
  categories: AdminCategory[];
  currency: string;
  token: string;
  onPatch(id: number, patch: ItemPatch, what: string): Promise<boolean>;
  onDelete(item: AdminItem): Promise<boolean>;
  /** Staff accounts only switch availability. */
  canEdit: boolean;
  /** The reorder grip and the drop target (absent when the role cannot reorder). */
  sortable?: { handle: HandleProps; row: RowProps; describedBy: string };
}

export function ItemRow({ item, categories, currency, token, onPatch, onDelete, canEdit, sortable }: Props) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(item.name);
  const [description, setDescription] = useState(item.description);
  const [price, setPrice] = useState(priceInputValue(item.price, currency));
  const [categoryId, setCategoryId] = useState(item.category_id);
  const [groups, setGroups] = useState<GroupDraft[]>([]);
  const [tags, setTags] = useState<string[]>(item.tags);
  const [error, setError] = useState<string | null>(null);
  const [toggling, setToggling] = useState(false);
  const formId = `item-form-${item.id}`;

  function open() {
    setName(item.name);
    setDescription(item.description);
    setPrice(priceInputValue(item.price, currency));
    setCategoryId(item.category_id);
    setGroups(toDrafts(item.modifier_groups, currency));
    setTags(item.tags);
    setError(null);
    setEditing(true);
  }

  async function save(e: React.FormEvent) {
    e.preventDefault();
    const minor = parsePrice(price, currency);
    if (!name.trim()) return setError("The name cannot be empty.");
    if (minor === null) return setError("Enter the price as a number, like 12.50.");
    const checked = validateGroups(groups, currency);
    if ("error" in checked) return setError(checked.error);
    setError(null);
    const patch = { name: name.trim(), description: description.trim(), price: minor, category_id: categoryId, tags, modifier_groups: checked.groups };
    const ok = await onPatch(item.id, patch, `${name} saved`);
    if (ok) setEditing(false);
  }

  return (
    <li className={`edit-item${item.available ? "" : " unavailable"}`} data-item-id={item.id} data-sortable-row {...sortable?.row}>
      <div className="edit-item-row">
        {sortable && <DragHandle label={item.name} describedBy={sortable.describedBy} props={sortable.handle} />}
        {item.image ? <img src={bestSrc(item.image, 320)} alt="" width={56} height={42} /> : <div className="thumb placeholder" aria-hidden="true" />}
        <span className="name">{item.name}</span>
        <span className="price">{formatPrice(item.price, currency)}</span>
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            checked={item.available}
            disabled={toggling}
            aria-label={`${item.name} available`}
            onChange={async (e) => {
              setToggling(true);
              await onPatch(item.id, { available: e.target.checked }, `${item.name} is ${e.target.checked ? "available" : "unavailable"}`);
              setToggling(false);
            }}
          />
          <span>{item.available ? "Available" : "Unavailable"}</span>
        </label>
        {canEdit && (
          <button type="button" onClick={() => (editing ? setEditing(false) : open())} aria-expanded={editing} aria-controls={formId} aria-label={`${editing ? "Close" : "Edit"} ${item.name}`}>
            {editing ? "Close" : "Edit"}
          </button>
        )}
      </div>
      {canEdit && editing && (
        <form id={formId} className="item-form" onSubmit={save} noValidate>
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required />
          </label>
          <label>
            Price ({currency})
            <input inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} size={8} required />
          </label>
          <label>
            Category
            <select value={categoryId} onChange={(e) => setCategoryId(Number(e.target.value))}>
              {categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          </label>
          <label className="full">
            Description
            <textarea rows={2} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1000} />
          </label>
          <div className="full">
            <TagInput tags={tags} onChange={setTags} />
          </div>
          <div className="full">
            <ModifierGroupsEditor groups={groups} currency={currency} onChange={setGroups} />
          </div>
          <div className="full">
            <ImageUpload
              token={token}
              label={item.image ? "Replace photo" : "Add a photo"}
              onReady={async (imageId) => {
                await onPatch(item.id, { image_id: imageId }, `Photo of ${item.name} is live`);
              }}
            />
            {item.image && (
              <button type="button" className="link" onClick={() => void onPatch(item.id, { image_id: null }, `Photo of ${item.name} removed`)}>
                Remove photo
              </button>
            )}
          </div>
          {error && <p className="error full" role="alert">{error}</p>}
          <div className="full actions">
            <button type="submit" className="primary">Save</button>
            <button type="button" className="danger" onClick={() => confirm(`Delete ${item.name}?`) && void onDelete(item)}>Delete item</button>
          </div>
        </form>
      )}
    </li>
  );
}
