"""The end state: stop writing, let things settle, then compare what clients saw with the DB.

Invariants:

- it runs after the last phase, with customers and uploaders paused and
  2 s for their requests in flight (and the web app's retries) to finish;
- it waits at most ``settle_s`` for the kitchens to know every order in the
  database, the outbox to empty and every accepted upload to finish, and
  reports how long it took;
- orders are matched by id (lost) and by the ``Idempotency-Key`` kept in the
  note (doubled): the chaos tenant's schema holds only this run's orders;
- it reports; :mod:`chaos.verdict` judges.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any

import asyncpg

from chaos.setup import outbox_rows

if TYPE_CHECKING:
    from chaos.load import Load
    from chaos.metrics import Phase, Recorder
    from chaos.setup import ChaosStack

__all__ = ["end_state"]


async def _schema(database_url: str, slug: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return str(
            await conn.fetchval("SELECT schema_name FROM public.tenants WHERE slug = $1", slug)
        )
    finally:
        await conn.close()


async def _db_orders(database_url: str, schema: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(database_url)
    try:
        quoted = '"' + schema.replace('"', '""') + '"'
        rows = await conn.fetch(f"SELECT id, coalesce(note, '') AS note FROM {quoted}.orders")  # noqa: S608 - a quoted identifier
        return [(int(r["id"]), str(r["note"])) for r in rows]
    finally:
        await conn.close()


async def end_state(
    chaos: ChaosStack, load: Load, rec: Recorder, settle_s: float, phases: list[Phase]
) -> dict[str, Any]:
    """Stop writing, let events and jobs settle, then compare what clients saw with the DB."""
    load.pause_writers()
    await asyncio.sleep(2)  # in-flight requests finish (and the web app's retries)
    url, slug = chaos.postgres.url, load.target.slug
    schema = await _schema(url, slug)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle_s
    while True:
        await load.poll_uploads()
        db = await _db_orders(url, schema)
        ids = {order_id for order_id, _ in db}
        missing = {k: ids - load.kitchen_orders(k) for k in range(load.shape.kitchens)}
        outbox = await outbox_rows(url)
        settled = not any(missing.values()) and outbox == 0 and not load.uploads.pending
        if settled or loop.time() > deadline:
            break
        await asyncio.sleep(0.5)
    notes = Counter(note for _, note in db)
    lost = sorted(order_id for order_id in rec.orders if order_id not in ids)
    doubled = sorted(key for key, n in notes.items() if key.startswith("chaos ") and n > 1)
    return {
        "orders_accepted": len(rec.orders),
        "orders_in_db": len(ids),
        "orders_lost": lost,
        "orders_doubled_keys": [key.removeprefix("chaos ") for key in doubled],
        "kitchens": [
            {
                "kitchen": k,
                "knows": len(load.kitchen_orders(k) & ids),
                "missed": sorted(m)[:50],
                "missed_count": len(m),
            }
            for k, m in missing.items()
        ],
        "uploads_accepted": len(load.uploads.ready)
        + len(load.uploads.pending)
        + len(load.uploads.failed),
        "uploads_ready": len(load.uploads.ready),
        "uploads_not_ready": [
            {
                "id": image_id,
                "status": status,
                "accepted_s": round(t, 2),
                "phase": next(
                    (p.name for p in phases if p.start <= t < p.end), "warm-up or settle"
                ),
            }
            for status, images in (
                ("processing", load.uploads.pending),
                ("failed", load.uploads.accepted_failed()),
            )
            for image_id, t in sorted(images.items(), key=lambda kv: kv[1])
        ],
        "outbox_rows": outbox,
        "settle_s": round(settle_s - max(0.0, deadline - loop.time()), 1),
    }
