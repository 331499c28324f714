import { useCallback, useEffect, useId, useState } from "react";
import type { Role } from "../lib/adminTypes";
import { api, errorText } from "../lib/api";
import { formatPrice, parsePrice } from "../lib/money";
import { canEditMenu } from "../lib/roles";
import type { AdminCategory, AdminItem, ItemPatch, Store } from "../lib/types";
import { useChannel, useRealtimeClient } from "../useRealtime";
import { DragHandle } from "./DragHandle";
import { ItemRow } from "./ItemRow";
import { type HandleProps, type RowProps, useSortable } from "./useSortable";

const byPosition = <T extends { position: number; id: number }>(a: T, b: T) => a.position - b.position || a.id - b.id;

/** Categories and items: add, rename, price, choices, tags, order, availability, photo, delete. */
export function MenuEditor({ store, token, role }: { store: Store; token: string; role: Role }) {
  const canEdit = canEditMenu(role);
  const hintId = useId();
  const [announcement, setAnnouncement] = useState("");
  const [categories, setCategories] = useState<AdminCategory[]>([]);
  const [items, setItems] = useState<AdminItem[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [newCategory, setNewCategory] = useState("");

  const load = useCallback(async () => {
    try {
      const [cs, is] = await Promise.all([
        api<AdminCategory[]>("/api/v1/admin/categories", { token }),
        api<AdminItem[]>("/api/v1/admin/items", { token }),
      ]);
      setCategories([...cs].sort(byPosition));
      setItems(is);
      setLoaded(true);
    } catch (err) {
      setError(errorText(err));
    }
  }, [token]);

  useEffect(() => void load(), [load]);

  // another device's edits (or an image becoming ready) show up here too
  const { client } = useRealtimeClient(store.realtime_url);
  useChannel(client, "menu", undefined, {
    onEvent: (e) => {
      if (e.type === "menu.updated" || e.type === "image.ready") void load();
    },
    onSubscribed: (recovered, first) => {
      if (!recovered && !first) void load();
    },
  });

  /** Run a write; report its error in words and reload what the server has. */
  async function write(what: string, fn: () => Promise<void>): Promise<boolean> {
    setError(null);
    try {
      await fn();
      setStatus(what);
      return true;
    } catch (err) {
      setError(errorText(err));
      void load();
      return false;
    }
  }

  const categoryOrder = useSortable({
    ids: categories.map((c) => c.id),
    name: (id) => `Category ${categories.find((c) => c.id === id)?.name ?? id}`,
    announce: setAnnouncement,
    commit: (ids) => {
      // show the new order at once; the server's answer (or a reload) settles it
      setCategories((cur) => ids.map((id, position) => ({ ...cur.find((c) => c.id === id)!, position })));
      void write("Categories reordered", async () => {
        const saved = await api<AdminCategory[]>("/api/v1/admin/categories/reorder", { method: "POST", token, body: { ids } });
        setCategories([...saved].sort(byPosition));
      });
    },
  });

  function reorderItems(categoryId: number, ids: number[]) {
    setItems((cur) => cur.map((i) => (i.category_id === categoryId ? { ...i, position: ids.indexOf(i.id) } : i)));
    void write("Items reordered", async () => {
      const saved = await api<AdminItem[]>("/api/v1/admin/items/reorder", { method: "POST", token, body: { category_id: categoryId, ids } });
      const byId = new Map(saved.map((i) => [i.id, i]));
      setItems((cur) => cur.map((i) => byId.get(i.id) ?? i));
    });
  }

  const replaceItem = (item: AdminItem) => setItems((cur) => cur.map((i) => (i.id === item.id ? item : i)));

  async function patchItem(id: number, patch: ItemPatch, what: string): Promise<boolean> {
    // a switch flips at once; a failed write reloads what the server has
    if (Object.keys(patch).length === 1 && "available" in patch) {
      setItems((cur) => cur.map((i) => (i.id === id ? { ...i, available: Boolean(patch.available) } : i)));
    }
    return write(what, async () => replaceItem(await api<AdminItem>(`/api/v1/admin/items/${id}`, { method: "PATCH", token, body: patch })));
  }

  return (
    <main className="page editor">
      <h2>Menu</h2>
      <p className="sr-only" role="status" aria-live="polite">{status}</p>
      <p className="sr-only" aria-live="assertive" data-testid="reorder-announcement">{announcement}</p>
      <p id={hintId} className="sr-only">Press Space to lift, the arrow keys to move, Space again to drop, Escape to cancel. Or drag with the mouse.</p>
      {error && <p className="error" role="alert">{error}</p>}
      {!loaded && !error && <p role="status">Loading the menu…</p>}
      {canEdit && <form
        className="inline-form card"
        onSubmit={(e) => {
          e.preventDefault();
          const name = newCategory.trim();
          if (!name) return;
          void write(`Category ${name} added`, async () => {
            const c = await api<AdminCategory>("/api/v1/admin/categories", { method: "POST", token, body: { name, position: categories.length } });
            setCategories((cur) => [...cur, c]);
            setNewCategory("");
          });
        }}
      >
        <label>
          New category
          <input value={newCategory} onChange={(e) => setNewCategory(e.target.value)} maxLength={100} />
        </label>
        <button type="submit" className="primary">Add category</button>
      </form>}
      {categoryOrder.order.map((id) => categories.find((c) => c.id === id)).filter((c): c is AdminCategory => Boolean(c)).map((cat) => (
        <CategorySection
          key={cat.id}
          category={cat}
          canEdit={canEdit}
          hintId={hintId}
          announce={setAnnouncement}
          sortable={canEdit ? { handle: categoryOrder.handleProps(cat.id), row: categoryOrder.rowProps(cat.id) } : undefined}
          onReorderItems={(ids) => reorderItems(cat.id, ids)}
          items={items.filter((i) => i.category_id === cat.id).sort(byPosition)}
          categories={categories}
          store={store}
          token={token}
          onRename={(name) =>
            write(`Renamed to ${name}`, async () => {
              const c = await api<AdminCategory>(`/api/v1/admin/categories/${cat.id}`, { method: "PATCH", token, body: { name } });
              setCategories((cur) => cur.map((x) => (x.id === c.id ? c : x)));
            })
          }
          onDelete={() =>
            write(`Category ${cat.name} deleted`, async () => {
              await api(`/api/v1/admin/categories/${cat.id}`, { method: "DELETE", token });
              setCategories((cur) => cur.filter((x) => x.id !== cat.id));
            })
          }
          onAddItem={(name, price) =>
            write(`${name} added`, async () => {
              const item = await api<AdminItem>("/api/v1/admin/items", { method: "POST", token, body: { category_id: cat.id, name, price } });
              setItems((cur) => [...cur, item]);
            })
          }
          onPatchItem={patchItem}
          onDeleteItem={(item) =>
            write(`${item.name} deleted`, async () => {
              await api(`/api/v1/admin/items/${item.id}`, { method: "DELETE", token });
              setItems((cur) => cur.filter((x) => x.id !== item.id));
            })
          }
        />
      ))}
    </main>
  );
}

interface SectionProps {
  category: AdminCategory;
  items: AdminItem[];
  categories: AdminCategory[];
  store: Store;
  token: string;
  onRename(name: string): Promise<boolean>;
  onDelete(): Promise<boolean>;
  onAddItem(name: string, price: number): Promise<boolean>;
  onPatchItem(id: number, patch: ItemPatch, what: string): Promise<boolean>;
  onDeleteItem(item: AdminItem): Promise<boolean>;
  onReorderItems(ids: number[]): void;
  canEdit: boolean;
  hintId: string;
  announce(text: string): void;
  sortable?: { handle: HandleProps; row: RowProps };
}

function CategorySection(props: SectionProps) {
  const { category, items, categories, store, token, onRename, onDelete, onAddItem, onPatchItem, onDeleteItem, onReorderItems, canEdit, hintId, announce, sortable } = props;
  const itemOrder = useSortable({
    ids: items.map((i) => i.id),
    name: (id) => items.find((i) => i.id === id)?.name ?? String(id),
    announce,
    commit: onReorderItems,
  });
  const [name, setName] = useState(category.name);
  const [newName, setNewName] = useState("");
  const [newPrice, setNewPrice] = useState("");
  const [priceError, setPriceError] = useState<string | null>(null);
  const headingId = `edit-cat-${category.id}`;

  return (
    <section className="card category" aria-labelledby={headingId} data-category-id={category.id} data-sortable-row {...sortable?.row}>
      <div className="category-head">
        {sortable && <DragHandle label={`category ${category.name}`} describedBy={hintId} props={sortable.handle} />}
        <h3 id={headingId}>{category.name}</h3>
      </div>
      {canEdit && <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim() && name.trim() !== category.name) void onRename(name.trim());
        }}
      >
        <label>
          Category name
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
        </label>
        <button type="submit">Rename</button>
        <button type="button" className="danger" onClick={() => confirm(`Delete the category ${category.name}?`) && void onDelete()}>
          Delete category
        </button>
      </form>}
      <ul className="edit-items">
        {itemOrder.order.map((id) => items.find((i) => i.id === id)).filter((i): i is AdminItem => Boolean(i)).map((item) => (
          <ItemRow
            key={item.id}
            item={item}
            categories={categories}
            currency={store.currency}
            token={token}
            onPatch={onPatchItem}
            onDelete={onDeleteItem}
            canEdit={canEdit}
            sortable={canEdit ? { handle: itemOrder.handleProps(item.id), row: itemOrder.rowProps(item.id), describedBy: hintId } : undefined}
          />
        ))}
      </ul>
      {canEdit && <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const price = parsePrice(newPrice, store.currency);
          if (!newName.trim()) return;
          if (price === null) {
            setPriceError(`Enter a price like ${formatPrice(1250, store.currency)} as 12.50.`);
            return;
          }
          setPriceError(null);
          void onAddItem(newName.trim(), price).then((ok) => {
            if (ok) {
              setNewName("");
              setNewPrice("");
            }
          });
        }}
      >
        <label>
          New item in {category.name}
          <input value={newName} onChange={(e) => setNewName(e.target.value)} maxLength={100} />
        </label>
        <label>
          Price ({store.currency})
          <input inputMode="decimal" value={newPrice} onChange={(e) => setNewPrice(e.target.value)} size={8} aria-invalid={priceError ? true : undefined} />
        </label>
        <button type="submit" className="primary">Add item</button>
        {priceError && <p className="error" role="alert">{priceError}</p>}
      </form>}
    </section>
  );
}
