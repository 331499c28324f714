import { useState } from "react";
import { bestSrc, srcSet } from "../lib/images";
import { formatPrice } from "../lib/money";
import type { MenuItem } from "../lib/types";

interface Props {
  item: MenuItem;
  currency: string;
  canOrder: boolean;
  onChoose(item: MenuItem): void;
}

export function ItemCard({ item, currency, canOrder, onChoose }: Props) {
  const orderable = item.available && canOrder;
  const [broken, setBroken] = useState<string | null>(null);
  const showImage = item.image && broken !== item.image.id;
  return (
    <li className={`item${item.available ? "" : " unavailable"}`} data-item-id={item.id} data-orderable={orderable}>
      {item.image && (
        <img
          src={bestSrc(item.image, 320)}
          srcSet={srcSet(item.image)}
          sizes="(min-width: 900px) 160px, 30vw"
          alt=""
          loading="lazy"
          width={160}
          height={120}
          hidden={!showImage}
          onError={() => setBroken(item.image?.id ?? null)}
        />
      )}
      {!showImage && <div className="placeholder" aria-hidden="true">{item.name.charAt(0)}</div>}
      <div className="item-body">
        <h3>{item.name}</h3>
        {item.description && <p className="muted">{item.description}</p>}
        {item.tags.length > 0 && (
          <ul className="tags" aria-label="Tags">
            {item.tags.map((t) => <li key={t}>{t}</li>)}
          </ul>
        )}
        <div className="item-foot">
          <span className="price">{formatPrice(item.price, currency)}</span>
          {item.available ? (
            <button type="button" className="add" disabled={!canOrder} onClick={() => onChoose(item)}>
              {item.modifier_groups.length ? "Choose" : "Add"}
              <span className="sr-only"> {item.name}</span>
            </button>
          ) : (
            <span className="badge off">Unavailable</span>
          )}
        </div>
      </div>
    </li>
  );
}
