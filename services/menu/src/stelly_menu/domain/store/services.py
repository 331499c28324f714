"""The store's settings: name, currency and time zone in the registry, hours in the schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import msgspec
from msgspec import UNSET
from stelly_tenancy.invalidation import publish_tenant_change

from stelly_menu.domain.menu.services import bump_menu_version, menu_changed
from stelly_menu.domain.store.hours import is_open, validate_hours
from stelly_menu.domain.store.schemas import (
    TIME_ZONES,
    AdminStore,
    AdminStorePatch,
    OpeningHours,
)
from stelly_menu.errors import field_problem

if TYPE_CHECKING:
    from stelly_core.db import DbConnection
    from stelly_tenancy.models import Tenant

    from stelly_menu.runtime import MenuRuntime

__all__ = ["admin_store", "load_hours", "store_is_open", "update_store"]


async def load_hours(conn: DbConnection) -> OpeningHours | None:
    """The weekly hours of the tenant whose schema is selected (``None``: always open)."""
    raw = await conn.fetchval("SELECT opening_hours FROM store_settings WHERE id = 1")
    if raw is None:
        return None
    return msgspec.json.decode(raw, type=OpeningHours)


async def store_is_open(conn: DbConnection, tenant: Tenant, now: datetime | None = None) -> bool:
    """Whether the store takes orders now, in its own time zone."""
    return is_open(await load_hours(conn), tenant.timezone, now or datetime.now(UTC))


async def admin_store(runtime: MenuRuntime, tenant: Tenant) -> AdminStore:
    async with runtime.db.tenant(tenant.schema) as conn:
        row = await conn.fetchrow(
            "SELECT name, currency, timezone FROM public.tenants WHERE id = $1", tenant.id
        )
        hours = await load_hours(conn)
    assert row is not None
    return AdminStore(row["name"], row["currency"], row["timezone"], hours)


async def update_store(runtime: MenuRuntime, tenant: Tenant, patch: AdminStorePatch) -> AdminStore:
    """Apply a partial update; every replica sees new registry values within seconds.

    Raises:
        ProblemError: 400 naming ``timezone`` or the bad ``opening_hours`` entry.
    """
    if patch.timezone is not UNSET and patch.timezone not in TIME_ZONES:
        raise field_problem("timezone", f"unknown time zone {patch.timezone!r}")
    if patch.opening_hours is not UNSET and patch.opening_hours is not None:
        try:
            validate_hours(patch.opening_hours)
        except ValueError as exc:
            raise field_problem("opening_hours", str(exc)) from None
    registry = {
        name: value
        for name, value in (
            ("name", patch.name),
            ("currency", patch.currency),
            ("timezone", patch.timezone),
        )
        if value is not UNSET
    }
    version = None
    async with runtime.db.tenant(tenant.schema) as conn:
        if registry:
            sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(registry, start=2))
            await conn.execute(
                f"UPDATE public.tenants SET {sets}, updated_at = now() WHERE id = $1",  # noqa: S608 - fixed column names
                tenant.id,
                *registry.values(),
            )
        if patch.opening_hours is not UNSET:
            hours = patch.opening_hours
            await conn.execute(
                "UPDATE store_settings SET opening_hours = $1::jsonb, updated_at = now() WHERE id = 1",
                None if hours is None else msgspec.json.encode(hours).decode(),
            )
        if "currency" in registry and registry["currency"] != tenant.currency:
            version = await bump_menu_version(conn, tenant.id)
    if registry:
        runtime.context.resolver.clear()
        await publish_tenant_change(runtime.context.redis, tenant.id)
    if version is not None:
        await menu_changed(runtime.cache, tenant.id, version)
    return await admin_store(runtime, tenant)
