import { useState } from "react";
import type { StoreUpdatedData } from "../lib/adminTypes";
import { addToCart, cartCount, cartTotal } from "../lib/cart";
import { formatPrice } from "../lib/money";
import type { CreatedOrder, MenuItem, Store } from "../lib/types";
import { navigate } from "../router";
import { useRealtimeClient } from "../useRealtime";
import { CartPanel } from "./CartPanel";
import { ItemCard } from "./ItemCard";
import { ItemDialog } from "./ItemDialog";
import { rememberOrder } from "./orders";
import { StoreHours } from "./StoreHours";
import { useCart } from "./useCart";
import { useMenu } from "./useMenu";

interface Props {
  store: Store;
  /** `store.updated` heard on the `menu` channel. */
  onStoreUpdated?(data: StoreUpdatedData): void;
  /** The store object may be out of date (a refused order, missed events): refetch it. */
  onStoreStale?(): void;
}

export function Storefront({ store, onStoreUpdated, onStoreStale }: Props) {
  const { client, state } = useRealtimeClient(store.realtime_url);
  const { menu, error } = useMenu(client, onStoreUpdated, onStoreStale);
  const { cart, setCart, dropped, clearDropped } = useCart(menu);
  const [choosing, setChoosing] = useState<MenuItem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const currency = menu?.currency ?? store.currency;

  function add(item: MenuItem, selection: Record<number, number[]> = {}, quantity = 1) {
    try {
      setCart(addToCart(cart, item, selection, quantity));
      setNotice(`${item.name} added to your order.`);
    } catch (err) {
      setNotice((err as Error).message);
    }
    setChoosing(null);
  }

  function placed(order: CreatedOrder) {
    rememberOrder(order);
    setCart([]);
    navigate(`/order/${order.id}`);
  }

  const count = cartCount(cart);
  return (
    <div className="storefront">
      <header className="site">
        <div>
          <h1>{store.name}</h1>
          <p className={`badge ${store.is_open ? "on" : "off"}`} data-testid="open-state">
            {store.is_open ? "Open now" : "Closed now"}
          </p>
          {state !== "open" && <span className="muted small live-state">Reconnecting for live updates…</span>}
        </div>
        {count > 0 && (
          <a className="cart-jump" href="#cart">
            Your order ({count}) · {formatPrice(cartTotal(cart), currency)}
          </a>
        )}
      </header>
      <div role="status" data-testid="closed-notice">
        {!store.is_open && (
          <p className="banner closed-now">
            <strong>Closed now.</strong> The restaurant is not taking orders right now. You can look at the menu, but not order
            {store.closed_now ? " until it reopens." : "; see the opening hours below."}
          </p>
        )}
      </div>
      <p className="sr-only" role="status" aria-live="polite">{notice}</p>
      {dropped.length > 0 && (
        <p className="banner warn" role="alert">
          {dropped.join(", ")} {dropped.length === 1 ? "is" : "are"} no longer available and left your order.{" "}
          <button type="button" className="link" onClick={clearDropped}>OK</button>
        </p>
      )}
      <div className="layout">
        <main>
          {error && <p className="error" role="alert">{error}</p>}
          {!menu && !error && <p role="status">Loading the menu…</p>}
          {menu && (
            <>
              <nav className="categories" aria-label="Menu sections">
                {menu.categories.map((c) => (
                  <a key={c.id} href={`#cat-${c.id}`}>{c.name}</a>
                ))}
              </nav>
              {menu.categories.map((c) => (
                <section key={c.id} id={`cat-${c.id}`} aria-labelledby={`cat-${c.id}-h`}>
                  <h2 id={`cat-${c.id}-h`}>{c.name}</h2>
                  <ul className="items">
                    {c.items.map((item) => (
                      <ItemCard
                        key={item.id}
                        item={item}
                        currency={currency}
                        canOrder={store.is_open}
                        onChoose={(i) => (i.modifier_groups.length ? setChoosing(i) : add(i))}
                      />
                    ))}
                  </ul>
                </section>
              ))}
            </>
          )}
        </main>
        <CartPanel cart={cart} currency={currency} isOpen={store.is_open} onChange={setCart} onPlaced={placed} onClosed={onStoreStale} />
      </div>
      {choosing && (
        <ItemDialog item={choosing} currency={currency} onAdd={(sel, q) => add(choosing, sel, q)} onClose={() => setChoosing(null)} />
      )}
      <StoreHours store={store} />
      <footer className="site-foot">
        <a href="/admin">Staff login</a>
      </footer>
    </div>
  );
}
