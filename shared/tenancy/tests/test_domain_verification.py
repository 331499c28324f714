"""Only verified custom domains resolve; the operator's CLI domains are verified; console is no tenant."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from stelly_core.db import Database
from stelly_core.settings import Settings
from stelly_tenancy.models import RESERVED_SLUGS, Tenant
from stelly_tenancy.registry import fetch_by_domain, list_tenants
from stelly_tenancy.resolution import TenantResolver


async def test_domains_given_to_the_cli_are_verified_and_serve(
    db: Database, make_tenant: Callable[..., Awaitable[Tenant]]
) -> None:
    domain = f"cli-{secrets.token_hex(4)}.example.org"
    tenant = await make_tenant(domains=[domain])
    async with db.platform() as conn:
        row = await conn.fetchrow(
            "SELECT status, verified_at FROM tenant_domains WHERE domain = $1", domain
        )
    assert row is not None and row["status"] == "verified" and row["verified_at"] is not None
    found = await fetch_by_domain(db.pool, domain)
    assert found is not None and found.id == tenant.id


async def test_a_pending_domain_never_resolves(
    db: Database, settings: Settings, make_tenant: Callable[..., Awaitable[Tenant]]
) -> None:
    tenant = await make_tenant()
    domain = f"pending-{secrets.token_hex(4)}.example.org"
    async with db.platform() as conn:
        # what the console inserts: the column's default is pending
        await conn.execute(
            "INSERT INTO tenant_domains (domain, tenant_id, verification_token) VALUES ($1, $2, 't')",
            domain,
            tenant.id,
        )
    resolver = TenantResolver(db.pool, settings.base_domain, ttl=30)
    assert await fetch_by_domain(db.pool, domain) is None
    assert await resolver.resolve(domain) is None
    listed = dict((t.id, domains) for t, domains in await list_tenants(db.pool))
    assert listed[tenant.id] == [f"{domain} (pending)"]  # what `stelly tenant list` shows
    async with db.platform() as conn:
        await conn.execute(
            "UPDATE tenant_domains SET status = 'verified' WHERE domain = $1", domain
        )
    resolver.clear()
    resolved = await resolver.resolve(domain)
    assert resolved is not None and resolved.id == tenant.id


async def test_console_is_reserved_and_never_a_tenant(
    db: Database, settings: Settings, make_tenant: Callable[..., Awaitable[Tenant]]
) -> None:
    assert "console" in RESERVED_SLUGS
    tenant = await make_tenant()
    async with db.platform() as conn:
        # even a row someone slipped into the domain table does not make it one
        await conn.execute(
            "INSERT INTO tenant_domains (domain, tenant_id, status) VALUES ($1, $2, 'verified')"
            " ON CONFLICT DO NOTHING",
            f"console.{settings.base_domain}",
            tenant.id,
        )
    resolver = TenantResolver(db.pool, settings.base_domain, ttl=30)
    try:
        assert await resolver.resolve(f"console.{settings.base_domain}") is None
    finally:
        async with db.platform() as conn:
            await conn.execute(
                "DELETE FROM tenant_domains WHERE domain = $1", f"console.{settings.base_domain}"
            )


async def test_a_name_under_the_base_domain_that_no_slug_claims_uses_the_domain_table(
    db: Database, settings: Settings, make_tenant: Callable[..., Awaitable[Tenant]]
) -> None:
    # the local stack's custom domains (*.localhost with base domain localhost)
    name = f"town-{secrets.token_hex(3)}.{settings.base_domain}"
    tenant = await make_tenant(domains=[name])
    resolver = TenantResolver(db.pool, settings.base_domain, ttl=30)
    resolved = await resolver.resolve(name)
    assert resolved is not None and resolved.id == tenant.id
    by_slug = await resolver.resolve(f"{tenant.slug}.{settings.base_domain}")
    assert by_slug is not None and by_slug.id == tenant.id
