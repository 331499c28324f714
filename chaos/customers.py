"""Customers: browse the store and its menu, sometimes order, think, again.

Invariants:

- customers do exactly what the web app does and no more: reads are not
  retried (``lib/api.ts``); an order POST carries one ``Idempotency-Key``
  for its body and is retried with that key at most twice, after 0.8 s and
  1.6 s, on a network error, 429 or 5xx (``storefront/Checkout.tsx``,
  ``lib/idempotency.ts``). Every retry is counted;
- a customer request counts as failed only once the web app would give up
  (a read at once, an order after its last retry);
- an order's note holds its key, so the end check can find an order stored
  twice in the database;
- a customer only starts a round while ``busy`` is set (paused for the
  settle step) and draws only from its own ``rng``.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

    from chaos.gateway import Gateway

__all__ = ["customer", "place_order"]

_RETRYABLE_ORDER_RETRIES = 2  # Checkout.tsx AUTO_RETRIES


async def customer(
    gateway: Gateway,
    rng: random.Random,
    n: int,
    *,
    think_s: tuple[float, float],
    order_share: float,
    busy: asyncio.Event,
) -> None:
    """Customer ``n``, for ever: store, menu, an order with ``order_share`` odds, a pause."""
    rec = gateway.rec
    while True:
        await busy.wait()
        for kind, path in (("store", "/api/v1/store"), ("menu", "/api/v1/store/menu")):
            started = rec.now()
            outcome, _, _ = await gateway.exchange(kind, "GET", path, expected=frozenset({200}))
            if outcome != "ok":
                rec.customer_failed(started, kind, outcome)
        if rng.random() < order_share:
            await place_order(gateway, rng, n)
        await asyncio.sleep(rng.uniform(*think_s))


async def place_order(gateway: Gateway, rng: random.Random, n: int) -> None:
    """One checkout: a random item, one key, the web app's retries; recorded in the Recorder."""
    rec, target = gateway.rec, gateway.target
    key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    body = {
        "items": [
            {"item_id": rng.choice(target.orderable), "quantity": rng.randint(1, 3),
             "modifiers": []}
        ],
        "customer": {"name": f"Chaos customer {n}"},
        "fulfillment": "pickup",
        "note": f"chaos {key}",  # the key, so the end check can find doubles in the DB
    }  # fmt: skip
    started = rec.now()
    for attempt in range(_RETRYABLE_ORDER_RETRIES + 1):
        outcome, status, reply = await gateway.exchange(
            "order",
            "POST",
            "/api/v1/store/orders",
            expected=frozenset({201}),
            headers={"idempotency-key": key},
            json_body=body,
        )
        if outcome == "ok" and isinstance(reply, dict):
            order_id = int(reply["id"])
            rec.orders[order_id] = (rec.now(), key)
            rec.orders_by_key[key] = order_id
            return
        retryable = status is None or status == 429 or status >= 500
        if retryable and attempt < _RETRYABLE_ORDER_RETRIES:
            rec.order_retries.append(rec.now())
            await asyncio.sleep(0.8 * (attempt + 1))
            continue
        rec.customer_failed(started, "order", outcome)
        return
