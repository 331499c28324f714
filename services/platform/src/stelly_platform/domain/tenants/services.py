"""Tenants from the console: the same rules and code as ``stelly tenant ...``.

Creating, suspending and resuming go through :mod:`stelly_tenancy.provisioning`,
which publishes the tenant change so that every replica of every service drops
its cached resolution within moments (the cache TTL bounds it when Redis is
down). Listing is keyset-paginated by registry id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stelly_core.errors import ProblemError
from stelly_tenancy.models import TenantStatus, validate_slug
from stelly_tenancy.provisioning import (
    NewTenant,
    ProvisioningError,
    create_tenant,
    set_tenant_status,
)

from stelly_platform.domain.tenants.schemas import TenantOut, TenantPage
from stelly_platform.domain.tenants.usage import Usage, page_usage, tenant_usage

if TYPE_CHECKING:
    from datetime import datetime

    from stelly_platform.domain.tenants.schemas import TenantCreate
    from stelly_platform.runtime import PlatformRuntime

__all__ = [
    "create",
    "decode_cursor",
    "encode_cursor",
    "list_page",
    "set_status",
    "tenant_id_of",
]


def encode_cursor(last_id: int) -> str:
    """The cursor that continues after registry id ``last_id`` (clients treat it as opaque)."""
    return str(last_id)


def decode_cursor(cursor: str) -> int:
    """The registry id a cursor continues after (any id is a position, taken or not).

    The cursor's shape (1-18 digits, so that it fits a ``bigint``) is checked
    by the route's parameter, a 400 ``validation_error`` otherwise.
    """
    return int(cursor)


def _out(slug: str, name: str, status: str, created_at: datetime, usage: Usage) -> TenantOut:
    return TenantOut(
        slug=slug,
        name=name,
        status="suspended" if status == TenantStatus.SUSPENDED.value else "active",
        created_at=created_at,
        orders_last_7_days=usage.orders_last_7_days,
        images_stored=usage.images_stored,
        last_order_at=usage.last_order_at,
    )


async def list_page(runtime: PlatformRuntime, limit: int, cursor: str | None) -> TenantPage:
    """One page of tenants after ``cursor``, with the usage of those tenants only."""
    after = decode_cursor(cursor) if cursor else 0
    async with runtime.db.platform() as conn:
        rows = await conn.fetch(
            "SELECT id, slug, name, schema_name, status, created_at FROM public.tenants"
            " WHERE id > $1 ORDER BY id LIMIT $2",
            after,
            limit + 1,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    usage = await page_usage(runtime.db, [r["schema_name"] for r in rows])
    items = [
        _out(r["slug"], r["name"], r["status"], r["created_at"], u)
        for r, u in zip(rows, usage, strict=True)
    ]
    return TenantPage(items=items, next_cursor=encode_cursor(rows[-1]["id"]) if more else None)


async def _summary(runtime: PlatformRuntime, slug: str) -> TenantOut:
    async with runtime.db.platform() as conn:
        row = await conn.fetchrow(
            "SELECT slug, name, schema_name, status, created_at FROM public.tenants"
            " WHERE slug = $1",
            slug,
        )
    if row is None:
        raise ProblemError(404, "tenant_not_found", f"no tenant {slug!r}")
    usage = await tenant_usage(runtime.db, row["schema_name"])
    return _out(row["slug"], row["name"], row["status"], row["created_at"], usage)


async def create(runtime: PlatformRuntime, data: TenantCreate) -> TenantOut:
    """Provision a tenant exactly as ``stelly tenant create`` does.

    Raises:
        ProblemError: 422 ``invalid_slug`` (pattern or reserved word),
            422 ``invalid_tenant`` (the owner's e-mail and password go together),
            409 ``tenant_exists``.
    """
    try:
        validate_slug(data.slug)
    except ValueError as exc:
        raise ProblemError(
            422,
            "invalid_slug",
            str(exc),
            extra={"errors": [{"field": "slug", "message": str(exc)}]},
        ) from None
    spec = NewTenant(
        slug=data.slug,
        name=data.name,
        owner_email=data.owner_email,
        owner_password=data.owner_password,
    )
    try:
        await create_tenant(runtime.db, spec, redis=runtime.redis, hasher=runtime.hasher)
    except ProvisioningError as exc:
        if exc.code == "tenant_exists":
            raise ProblemError(409, "tenant_exists", str(exc)) from None
        raise ProblemError(422, "invalid_tenant", str(exc)) from None
    return await _summary(runtime, data.slug)


async def set_status(runtime: PlatformRuntime, slug: str, status: TenantStatus) -> TenantOut:
    """Suspend or resume, as the CLI does (every replica hears of it).

    Raises:
        ProblemError: 404 ``tenant_not_found``.
    """
    try:
        await set_tenant_status(runtime.db, slug, status, redis=runtime.redis)
    except ProvisioningError:
        raise ProblemError(404, "tenant_not_found", f"no tenant {slug!r}") from None
    return await _summary(runtime, slug)


async def tenant_id_of(runtime: PlatformRuntime, slug: str) -> int:
    """The registry id of ``slug``.

    Raises:
        ProblemError: 404 ``tenant_not_found``.
    """
    async with runtime.db.platform() as conn:
        tenant_id: int | None = await conn.fetchval(
            "SELECT id FROM public.tenants WHERE slug = $1", slug
        )
    if tenant_id is None:
        raise ProblemError(404, "tenant_not_found", f"no tenant {slug!r}")
    return tenant_id
