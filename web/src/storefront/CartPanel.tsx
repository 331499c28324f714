import { type Cart, cartTotal, removeLine, setQuantity } from "../lib/cart";
import { formatPrice } from "../lib/money";
import type { CreatedOrder } from "../lib/types";
import { Checkout } from "./Checkout";

interface Props {
  cart: Cart;
  currency: string;
  isOpen: boolean;
  onChange(cart: Cart): void;
  onPlaced(order: CreatedOrder): void;
  onClosed?(): void;
}

export function CartPanel({ cart, currency, isOpen, onChange, onPlaced, onClosed }: Props) {
  return (
    <aside className="cart" id="cart" aria-labelledby="cart-title">
      <h2 id="cart-title">Your order</h2>
      {cart.length === 0 ? (
        <p className="muted">Nothing here yet. Add something from the menu.</p>
      ) : (
        <>
          <ul className="lines">
            {cart.map((line) => (
              <li key={line.key}>
                <div>
                  <strong>{line.name}</strong>
                  {line.optionNames.length > 0 && <div className="muted small">{line.optionNames.join(", ")}</div>}
                </div>
                <div className="line-controls">
                  <button type="button" className="icon" aria-label={`One less ${line.name}`} onClick={() => onChange(setQuantity(cart, line.key, line.quantity - 1))}>−</button>
                  <span aria-label={`Quantity of ${line.name}`}>{line.quantity}</span>
                  <button type="button" className="icon" aria-label={`One more ${line.name}`} onClick={() => onChange(setQuantity(cart, line.key, line.quantity + 1))}>+</button>
                  <span className="price">{formatPrice(line.unitPrice * line.quantity, currency)}</span>
                  <button type="button" className="link" onClick={() => onChange(removeLine(cart, line.key))} aria-label={`Remove ${line.name}`}>Remove</button>
                </div>
              </li>
            ))}
          </ul>
          <p className="total">
            <span>Total</span> <strong data-testid="cart-total">{formatPrice(cartTotal(cart), currency)}</strong>
          </p>
          <p className="muted small">The restaurant confirms the final price.</p>
          <Checkout cart={cart} isOpen={isOpen} onPlaced={onPlaced} onClosed={onClosed} />
        </>
      )}
    </aside>
  );
}
