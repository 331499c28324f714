"""Usage figures of a page of tenants, read from each tenant's own schema.

The cost is per page, never per deployment: ``GET tenants`` reads at most
``limit`` (≤ 100) tenants by keyset, and for those only runs two small
queries in each schema (which of ``orders`` / ``images`` exist; then one
scan of each, bounded by that tenant's own rows), at most
:data:`USAGE_CONCURRENCY` schemas at a time so that a page never takes more
than that many pooled connections. Thousands of schemas elsewhere cost
nothing.

Invariants: a schema without one of the tables (a component not installed)
gives ``None`` for its figures rather than an error; every query runs with the
tenant's schema selected transaction-locally (:meth:`Database.tenant`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from stelly_core.db import Database

__all__ = ["USAGE_CONCURRENCY", "Usage", "page_usage", "tenant_usage"]

#: schemas read at once for one page
USAGE_CONCURRENCY = 4


@dataclass(frozen=True, slots=True)
class Usage:
    orders_last_7_days: int | None = None
    images_stored: int | None = None
    last_order_at: datetime | None = None


async def tenant_usage(db: Database, schema: str) -> Usage:
    """One tenant's figures (``None`` for a table its schema lacks)."""
    async with db.tenant(schema) as conn:
        tables = await conn.fetchrow(
            "SELECT to_regclass('orders') IS NOT NULL AS orders,"
            " to_regclass('images') IS NOT NULL AS images"
        )
        assert tables is not None
        recent = last = images = None
        if tables["orders"]:
            row = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE created_at >= now() - interval '7 days') AS recent,"
                " max(created_at) AS last FROM orders"
            )
            assert row is not None
            recent, last = row["recent"], row["last"]
        if tables["images"]:
            images = await conn.fetchval("SELECT count(*) FROM images")
    return Usage(orders_last_7_days=recent, images_stored=images, last_order_at=last)


async def page_usage(
    db: Database, schemas: Sequence[str], *, concurrency: int = USAGE_CONCURRENCY
) -> list[Usage]:
    """The figures of each schema of a page, in order, ``concurrency`` at a time."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(schema: str) -> Usage:
        async with gate:
            return await tenant_usage(db, schema)

    return list(await asyncio.gather(*(one(schema) for schema in schemas)))
