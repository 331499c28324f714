"""Pooled connections shared by tenants never leak one tenant's schema into another's work."""

from __future__ import annotations

import asyncio
import random

import pytest
from stelly_core.db import Database
from stelly_core.settings import Settings

from .conftest import MakeTenant


@pytest.mark.parametrize("statement_cache", [True, False], ids=["cache-on", "cache-off"])
async def test_alternating_tenants_on_a_small_pool_see_only_their_rows(
    settings: Settings, database_url: str, make_tenant: MakeTenant, statement_cache: bool
) -> None:
    tenants = [
        await make_tenant(owner_email=f"owner{n}@t{n}.example", owner_password="password-123")
        for n in range(3)
    ]
    expected = {t.schema: f"owner{n}@t{n}.example" for n, t in enumerate(tenants)}
    cfg = settings.model_copy(update={"database_statement_cache": statement_cache})
    db = await Database.connect(database_url, cfg, min_size=2, max_size=2)
    wrong: list[tuple[str, list[str]]] = []

    async def unit(schema: str) -> None:
        async with db.tenant(schema) as conn:
            # the same statement text for every tenant: the cache must not pin a schema
            rows = await conn.fetch("SELECT email FROM staff_users ORDER BY id")
            await asyncio.sleep(random.random() / 1000)
            emails = [r["email"] for r in rows]
            if emails != [expected[schema]]:
                wrong.append((schema, emails))

    try:
        schemas = [t.schema for t in tenants] * 100
        random.shuffle(schemas)
        await asyncio.gather(*(unit(s) for s in schemas))
    finally:
        await db.close()
    assert wrong == []


async def test_schema_does_not_outlive_a_failed_unit_of_work(
    db: Database, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    with pytest.raises(RuntimeError):
        async with db.tenant(tenant.schema):
            raise RuntimeError("boom")
    async with db.pool.acquire() as conn:
        assert await conn.fetchval("SHOW search_path") == '"$user", public'


async def test_unqualified_names_do_not_reach_public(db: Database, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    async with db.tenant(tenant.schema) as conn:
        # the registry lives in public and must not be readable unqualified
        visible = await conn.fetchval("SELECT to_regclass('tenants') IS NOT NULL")
    assert visible is False


async def test_invalid_schema_is_refused_before_any_sql(db: Database) -> None:
    with pytest.raises(ValueError, match="schema"):
        async with db.tenant('x"; DROP SCHEMA public CASCADE; --'):
            pass
