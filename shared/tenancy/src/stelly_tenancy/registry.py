"""Queries on the tenant registry in ``public``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stelly_tenancy.models import Tenant, TenantStatus

if TYPE_CHECKING:
    import asyncpg

__all__ = ["TENANT_COLUMNS", "fetch_by_domain", "fetch_by_slug", "list_tenants", "row_to_tenant"]

TENANT_COLUMNS = "t.id, t.slug, t.name, t.schema_name, t.status, t.currency, t.timezone"


def row_to_tenant(row: asyncpg.Record) -> Tenant:
    """Build a :class:`Tenant` from a row selected with :data:`TENANT_COLUMNS`."""
    return Tenant(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        schema=row["schema_name"],
        status=TenantStatus(row["status"]),
        currency=row["currency"],
        timezone=row["timezone"],
    )


async def fetch_by_slug(conn: asyncpg.Connection | asyncpg.Pool, slug: str) -> Tenant | None:
    """The tenant with this slug, or ``None``."""
    row = await conn.fetchrow(
        f"SELECT {TENANT_COLUMNS} FROM public.tenants t WHERE t.slug = $1",  # noqa: S608
        slug,
    )
    return None if row is None else row_to_tenant(row)


async def fetch_by_domain(conn: asyncpg.Connection | asyncpg.Pool, domain: str) -> Tenant | None:
    """The tenant owning this custom domain once it is verified, or ``None``.

    A pending domain (added in the console, its DNS not yet proven) never
    resolves: whoever adds a domain does not get to serve it by saying so.
    Still one lookup by primary key.
    """
    row = await conn.fetchrow(
        f"SELECT {TENANT_COLUMNS} FROM public.tenant_domains d"  # noqa: S608
        " JOIN public.tenants t ON t.id = d.tenant_id"
        " WHERE d.domain = $1 AND d.status = 'verified'",
        domain,
    )
    return None if row is None else row_to_tenant(row)


async def list_tenants(conn: asyncpg.Connection | asyncpg.Pool) -> list[tuple[Tenant, list[str]]]:
    """Every tenant with its custom domains, oldest first (unverified ones marked ``(pending)``)."""
    rows = await conn.fetch(
        f"SELECT {TENANT_COLUMNS}, coalesce(array_agg(d.domain"  # noqa: S608
        " || CASE WHEN d.status = 'pending' THEN ' (pending)' ELSE '' END ORDER BY d.domain)"
        " FILTER (WHERE d.domain IS NOT NULL), '{}') AS domains"
        " FROM public.tenants t LEFT JOIN public.tenant_domains d ON d.tenant_id = t.id"
        " GROUP BY t.id ORDER BY t.id"
    )
    return [(row_to_tenant(r), list(r["domains"])) for r in rows]
