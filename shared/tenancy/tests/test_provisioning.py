from __future__ import annotations

import pytest
from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_tenancy.migrations import head_fingerprint, tenant_migrations
from stelly_tenancy.models import TenantStatus
from stelly_tenancy.provisioning import (
    NewTenant,
    ProvisioningError,
    create_tenant,
    set_tenant_status,
)
from stelly_tenancy.registry import fetch_by_domain, fetch_by_slug

from .conftest import MakeTenant


async def test_create_makes_a_schema_at_head_with_its_owner(
    db: Database, make_tenant: MakeTenant, hasher: PasswordHashing
) -> None:
    tenant = await make_tenant(
        owner_email="Chef@Example.com",
        owner_password="s3cret-pass",
        currency="USD",
        timezone="America/New_York",
        domains=["order.chef-example.com"],
    )
    assert (tenant.currency, tenant.timezone, tenant.status) == (
        "USD",
        "America/New_York",
        TenantStatus.ACTIVE,
    )
    head = await db.pool.fetchval("SELECT schema_head FROM tenants WHERE id = $1", tenant.id)
    assert head == head_fingerprint(tenant_migrations())
    async with db.tenant(tenant.schema) as conn:
        owner = await conn.fetchrow("SELECT email, password_hash, role FROM staff_users")
    assert owner["email"] == "chef@example.com"
    assert owner["role"] == "owner"
    assert hasher.verify(owner["password_hash"], "s3cret-pass")
    assert (await fetch_by_domain(db.pool, "order.chef-example.com")) == tenant


async def test_schema_name_is_stored_not_derived(
    db: Database, unique_slug: str, hasher: PasswordHashing
) -> None:
    tenant = await create_tenant(
        db,
        NewTenant(slug=unique_slug, name="Burger King", schema=f"schema_{unique_slug}k"),
        hasher=hasher,
    )
    assert tenant.schema == f"schema_{unique_slug}k"
    assert (await fetch_by_slug(db.pool, unique_slug)) == tenant


@pytest.mark.parametrize(
    "overrides",
    [
        {"slug": "admin"},
        {"slug": "x'; DROP TABLE tenants; --"},
        {"schema": 'evil"; DROP SCHEMA public CASCADE; --'},
        {"schema": "public"},
        {"schema": "pg_temp"},
        {"currency": "euro"},
        {"timezone": "Mars/Olympus"},
        {"name": " "},
        {"domains": ["not a domain"]},
        {"owner_email": "nobody", "owner_password": "long-enough"},
        {"owner_email": "a@b.example", "owner_password": "short"},
        {"owner_email": "a@b.example"},
    ],
)
async def test_bad_input_is_refused_and_nothing_is_created(
    db: Database, unique_slug: str, hasher: PasswordHashing, overrides: dict[str, object]
) -> None:
    spec = {"slug": unique_slug, "name": "Fine", **overrides}
    with pytest.raises(ProvisioningError) as refused:
        await create_tenant(db, NewTenant(**spec), hasher=hasher)  # type: ignore[arg-type]
    assert refused.value.code == "invalid_tenant"
    assert await db.pool.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", spec["slug"]) == 0


async def test_taken_slug_schema_or_domain_is_refused_atomically(
    db: Database, make_tenant: MakeTenant, unique_slug: str, hasher: PasswordHashing
) -> None:
    first = await make_tenant(domains=["taken.example.com"])
    attempts = [
        NewTenant(slug=first.slug, name="Same slug"),
        NewTenant(slug=unique_slug + "-x", name="Same schema", schema=first.schema),
        NewTenant(slug=unique_slug + "-y", name="Same domain", domains=["TAKEN.example.com"]),
    ]
    for spec in attempts:
        with pytest.raises(ProvisioningError) as refused:
            await create_tenant(db, spec, hasher=hasher)
        assert refused.value.code == "tenant_exists"
    assert await fetch_by_slug(db.pool, unique_slug + "-y") is None  # rolled back whole
    exists = await db.pool.fetchval(
        "SELECT count(*) FROM pg_namespace WHERE nspname = $1", f"t_{unique_slug}_y"
    )
    assert exists == 0


async def test_suspend_and_resume(db: Database, make_tenant: MakeTenant) -> None:
    tenant = await make_tenant()
    assert (await set_tenant_status(db, tenant.slug, TenantStatus.SUSPENDED)).status == "suspended"
    assert (await set_tenant_status(db, tenant.slug, TenantStatus.ACTIVE)).active
    with pytest.raises(ProvisioningError) as missing:
        await set_tenant_status(db, "nosuchtenant", TenantStatus.SUSPENDED)
    assert missing.value.code == "tenant_not_found"
