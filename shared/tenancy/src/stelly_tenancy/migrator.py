"""``stelly migrate``: bring the platform schema and every tenant schema to head.

Idempotent and resumable: each tenant is migrated in one transaction that
also records what it applied, so a crash leaves every tenant either before or
after its batch. Two concurrent runs serialise on advisory locks (one for the
platform, one per tenant) and the second finds nothing left to do. A no-op run
is one query: tenants whose recorded ``schema_head`` already equals the head
fingerprint are not visited.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stelly_core.db import quote_schema

from stelly_tenancy.migrations import (
    Migration,
    head_fingerprint,
    platform_migrations,
    tenant_migrations,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from stelly_core.db import Database, DbConnection

__all__ = ["MigrationReport", "TenantRef", "apply_tenant_batch", "migrate", "migrate_platform"]

_log = logging.getLogger("stelly.migrate")
PLATFORM_LOCK = 0x5E11_0001
TENANT_LOCK_NAMESPACE = 0x5E11


@dataclass(frozen=True, slots=True)
class TenantRef:
    id: int
    slug: str
    schema: str


@dataclass(slots=True)
class MigrationReport:
    """What one run did."""

    platform_applied: list[str] = field(default_factory=list)
    tenants_total: int = 0
    tenants_checked: int = 0
    applied: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


async def migrate_platform(db: Database) -> list[str]:
    """Apply pending platform migrations under a global advisory lock.

    Returns:
        The names of the migrations applied by this call.
    """
    applied: list[str] = []
    async with db.pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", PLATFORM_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS public.platform_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {
                r["version"]: r["checksum"]
                for r in await conn.fetch(
                    "SELECT version, checksum FROM public.platform_migrations"
                )
            }
            for m in platform_migrations():
                if m.version in done:
                    if done[m.version] != m.checksum:
                        raise RuntimeError(f"platform migration {m.version} changed after it ran")
                    continue
                async with conn.transaction():
                    await conn.execute("SELECT set_config('search_path', 'public', true)")
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO public.platform_migrations (version, name, checksum)"
                        " VALUES ($1, $2, $3)",
                        m.version,
                        m.name,
                        m.checksum,
                    )
                applied.append(f"{m.version:04d}_{m.name}")
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", PLATFORM_LOCK)
    return applied


async def apply_tenant_batch(
    conn: DbConnection,
    tenant: TenantRef,
    migrations: Sequence[Migration],
    head: str,
) -> list[str]:
    """Apply a tenant's pending migrations inside the caller's transaction.

    Takes the tenant's advisory lock, reads its ledger, applies what is
    missing in order, records it and stamps ``schema_head``.

    Returns:
        The migrations applied, as ``component/NNNN_name``.

    Raises:
        RuntimeError: when an applied migration's file has changed since.
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", TENANT_LOCK_NAMESPACE, tenant.id)
    ledger = {
        (r["component"], r["version"]): r["checksum"]
        for r in await conn.fetch(
            "SELECT component, version, checksum FROM public.tenant_migrations"
            " WHERE tenant_id = $1",
            tenant.id,
        )
    }
    pending = []
    for m in migrations:
        recorded = ledger.get((m.component, m.version))
        if recorded is None:
            pending.append(m)
        elif recorded != m.checksum:
            raise RuntimeError(
                f"{m.component} migration {m.version:04d}_{m.name} changed after it ran"
            )
    if pending:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_schema(tenant.schema)}")
        await conn.execute(
            "SELECT set_config('search_path', $1, true)", quote_schema(tenant.schema)
        )
        # One round trip for the whole batch: the simple-query protocol runs
        # the concatenated files as one script inside this transaction.
        await conn.execute("\n;\n".join(m.sql for m in pending))
        await conn.executemany(
            "INSERT INTO public.tenant_migrations (tenant_id, component, version, name, checksum)"
            " VALUES ($1, $2, $3, $4, $5)",
            [(tenant.id, m.component, m.version, m.name, m.checksum) for m in pending],
        )
        await conn.execute("SELECT set_config('search_path', 'public', true)")
    await conn.execute("UPDATE public.tenants SET schema_head = $2 WHERE id = $1", tenant.id, head)
    return [f"{m.component}/{m.version:04d}_{m.name}" for m in pending]


async def migrate(
    db: Database,
    *,
    concurrency: int = 4,
    on_progress: Callable[[TenantRef, str | None], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    migrations: Sequence[Migration] | None = None,
) -> MigrationReport:
    """Bring the platform and every tenant schema to head.

    Args:
        db: the database.
        concurrency: tenants migrated at once.
        on_progress: called after each visited tenant with its error, if any.
        on_start: called with the number of tenants that need a visit.
        migrations: the tenant migrations; the installed components' by default.

    Returns:
        The report; ``report.ok`` is false when some tenants failed.
    """
    started = time.perf_counter()
    report = MigrationReport()
    report.platform_applied = await migrate_platform(db)
    wanted = list(tenant_migrations() if migrations is None else migrations)
    head = head_fingerprint(wanted)
    async with db.pool.acquire() as conn:
        report.tenants_total = await conn.fetchval("SELECT count(*) FROM public.tenants")
        rows = await conn.fetch(
            "SELECT id, slug, schema_name FROM public.tenants"
            " WHERE schema_head IS DISTINCT FROM $1 ORDER BY id",
            head,
        )
    stale = [TenantRef(r["id"], r["slug"], r["schema_name"]) for r in rows]
    report.tenants_checked = len(stale)
    if on_start is not None:
        on_start(len(stale))
    queue: asyncio.Queue[TenantRef] = asyncio.Queue()
    for tenant in stale:
        queue.put_nowait(tenant)

    async def worker() -> None:
        while not queue.empty():
            tenant = queue.get_nowait()
            error: str | None = None
            try:
                async with db.pool.acquire() as conn, conn.transaction():
                    names = await apply_tenant_batch(conn, tenant, wanted, head)
                if names:
                    report.applied[tenant.slug] = names
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                report.failed[tenant.slug] = error
                _log.warning("tenant %s failed to migrate: %s", tenant.slug, error)
            if on_progress is not None:
                on_progress(tenant, error)

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(stale) or 1)))))
    report.seconds = time.perf_counter() - started
    return report
