"""stelly migrate: failures per tenant, reruns, concurrent runs, no-op cost."""

from __future__ import annotations

import asyncio

from stelly_core.db import Database
from stelly_core.settings import Settings
from stelly_tenancy.migrations import Migration, head_fingerprint, tenant_migrations
from stelly_tenancy.migrator import migrate

from .conftest import MakeTenant


def _with_extra(sql: str, version: int = 9001) -> list[Migration]:
    return [*tenant_migrations(), Migration("testextra", version, "extra", sql)]


async def _ledger(db: Database, tenant_id: int, component: str) -> list[int]:
    rows = await db.pool.fetch(
        "SELECT version FROM tenant_migrations WHERE tenant_id = $1 AND component = $2",
        tenant_id,
        component,
    )
    return [r["version"] for r in rows]


async def test_one_failing_tenant_does_not_stop_the_others_and_a_rerun_completes(
    db: Database, make_tenant: MakeTenant
) -> None:
    good, bad = await make_tenant(), await make_tenant()
    async with db.tenant(bad.schema) as conn:  # the obstacle a real deploy might meet
        await conn.execute("CREATE TABLE loyalty_points (legacy text)")
    extra = _with_extra(
        "CREATE TABLE loyalty_points (id int PRIMARY KEY);INSERT INTO loyalty_points VALUES (1);"
    )
    report = await migrate(db, migrations=extra, concurrency=3)
    assert not report.ok
    assert set(report.failed) == {bad.slug}
    assert "loyalty_points" in report.failed[bad.slug]
    assert report.applied[good.slug] == ["testextra/9001_extra"]
    assert await _ledger(db, good.id, "testextra") == [9001]
    assert await _ledger(db, bad.id, "testextra") == []  # nothing half-applied

    async with db.tenant(bad.schema) as conn:  # the operator's fix
        await conn.execute("DROP TABLE loyalty_points")
    rerun = await migrate(db, migrations=extra)
    assert rerun.ok
    assert rerun.applied == {bad.slug: ["testextra/9001_extra"]}
    async with db.tenant(bad.schema) as conn:
        assert await conn.fetchval("SELECT count(*) FROM loyalty_points") == 1
    async with db.tenant(good.schema) as conn:
        assert await conn.fetchval("SELECT count(*) FROM loyalty_points") == 1


async def test_concurrent_runs_apply_each_migration_once(
    settings: Settings, database_url: str, db: Database, make_tenant: MakeTenant
) -> None:
    tenants = [await make_tenant() for _ in range(6)]
    extra = _with_extra(
        "CREATE TABLE gift_cards (id int PRIMARY KEY); INSERT INTO gift_cards VALUES (1);", 9002
    )
    other = await Database.connect(database_url, settings, max_size=4)
    try:
        first, second = await asyncio.gather(
            migrate(db, migrations=extra, concurrency=3),
            migrate(other, migrations=extra, concurrency=3),
        )
    finally:
        await other.close()
    assert first.ok and second.ok
    for tenant in tenants:
        assert await _ledger(db, tenant.id, "testextra") == [9002]
        async with db.tenant(tenant.schema) as conn:
            assert await conn.fetchval("SELECT count(*) FROM gift_cards") == 1
    applied_by = [t.slug for t in tenants if t.slug in first.applied] + [
        t.slug for t in tenants if t.slug in second.applied
    ]
    assert sorted(applied_by) == sorted(t.slug for t in tenants)


async def test_a_noop_run_visits_no_tenant(db: Database, make_tenant: MakeTenant) -> None:
    await make_tenant()
    await migrate(db)  # settle every tenant other tests left behind
    report = await migrate(db)
    assert report.ok
    assert report.tenants_checked == 0
    assert report.applied == {}
    assert report.tenants_total >= 1


async def test_an_edited_migration_is_reported_not_rerun(
    db: Database, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    original = tenant_migrations()
    edited = [
        Migration(m.component, m.version, m.name, m.sql + "\n-- edited")
        if (m.component, m.version) == ("core", 1)
        else m
        for m in original
    ]
    assert head_fingerprint(edited) != head_fingerprint(original)
    report = await migrate(db, migrations=edited)
    assert tenant.slug in report.failed
    assert "changed after it ran" in report.failed[tenant.slug]
