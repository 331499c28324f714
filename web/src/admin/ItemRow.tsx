import { useState } from "react";
import { bestSrc } from "../lib/images";
import { formatPrice, parsePrice, priceInputValue } from "../lib/money";
import type { AdminCategory, AdminItem } from "../lib/types";
import { ImageUpload } from "./ImageUpload";

interface Props {
  item: AdminItem;
  categories: AdminCategory[];
  currency: string;
  token: string;
  onPatch(id: number, patch: Partial<AdminItem>, what: string): Promise<boolean>;
  onDelete(item: AdminItem): Promise<boolean>;
}

export function ItemRow({ item, categories, currency, token, onPatch, onDelete }: Props) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(item.name);
  const [description, setDescription] = useState(item.description);
  const [price, setPrice] = useState(priceInputValue(item.price, currency));
  const [categoryId, setCategoryId] = useState(item.category_id);
  const [error, setError] = useState<string | null>(null);
  const [toggling, setToggling] = useState(false);
  const formId = `item-form-${item.id}`;

  function open() {
    setName(item.name);
    setDescription(item.description);
    setPrice(priceInputValue(item.price, currency));
    setCategoryId(item.category_id);
    setError(null);
    setEditing(true);
  }

  async function save(e: React.FormEvent) {
    e.preventDefault();
    const minor = parsePrice(price, currency);
    if (!name.trim()) return setError("The name cannot be empty.");
    if (minor === null) return setError("Enter the price as a number, like 12.50.");
    const ok = await onPatch(item.id, { name: name.trim(), description: description.trim(), price: minor, category_id: categoryId }, `${name} saved`);
    if (ok) setEditing(false);
  }

  return (
    <li className={`edit-item${item.available ? "" : " unavailable"}`} data-item-id={item.id}>
      <div className="edit-item-row">
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
        <button type="button" onClick={() => (editing ? setEditing(false) : open())} aria-expanded={editing} aria-controls={formId}>
          {editing ? "Close" : "Edit"}
        </button>
      </div>
      {editing && (
        <form id={formId} className="item-form" onSubmit={save}>
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
