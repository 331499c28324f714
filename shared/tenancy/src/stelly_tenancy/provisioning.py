"""Creating, suspending and resuming tenants (``stelly tenant ...``).

Creating a tenant is one transaction: the registry row, its domains, its
schema brought to head by running every tenant migration as one script (the
equivalent of cloning a template schema, without keeping a template in sync),
and optionally the owner account. Either all of it exists afterwards or none.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
from stelly_core.db import quote_schema, validate_schema_name

from stelly_tenancy.invalidation import publish_tenant_change
from stelly_tenancy.migrations import head_fingerprint, tenant_migrations
from stelly_tenancy.migrator import TenantRef, apply_tenant_batch
from stelly_tenancy.models import Tenant, TenantStatus, validate_domain, validate_slug
from stelly_tenancy.registry import TENANT_COLUMNS, row_to_tenant

if TYPE_CHECKING:
    from collections.abc import Sequence

    from redis.asyncio import Redis
    from stelly_core.auth import PasswordHashing
    from stelly_core.db import Database

    from stelly_tenancy.migrations import Migration

__all__ = ["NewTenant", "ProvisioningError", "create_tenant", "set_tenant_status"]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,63}$")


class ProvisioningError(ValueError):
    """A tenant operation refused, with a stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class NewTenant:
    """What ``stelly tenant create`` asks for."""

    slug: str
    name: str
    schema: str | None = None
    currency: str = "EUR"
    timezone: str = "UTC"
    domains: Sequence[str] = field(default_factory=tuple)
    owner_email: str | None = None
    owner_password: str | None = None


def _checked(spec: NewTenant) -> tuple[str, list[str]]:
    try:
        validate_slug(spec.slug)
        schema = validate_schema_name(spec.schema or "t_" + spec.slug.replace("-", "_"))
        domains = [validate_domain(d) for d in spec.domains]
    except ValueError as exc:
        raise ProvisioningError("invalid_tenant", str(exc)) from None
    if not 1 <= len(spec.name.strip()) <= 200:
        raise ProvisioningError("invalid_tenant", "name must be 1-200 characters")
    if not re.fullmatch(r"[A-Z]{3}", spec.currency):
        raise ProvisioningError("invalid_tenant", f"invalid currency {spec.currency!r}")
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProvisioningError("invalid_tenant", f"unknown time zone {spec.timezone!r}") from None
    if (spec.owner_email is None) != (spec.owner_password is None):
        raise ProvisioningError("invalid_tenant", "give both the owner's e-mail and password")
    if spec.owner_email is not None and not _EMAIL.fullmatch(spec.owner_email):
        raise ProvisioningError("invalid_tenant", f"invalid e-mail {spec.owner_email!r}")
    if spec.owner_password is not None and len(spec.owner_password) < 8:
        raise ProvisioningError("invalid_tenant", "the owner's password needs 8 characters or more")
    return schema, domains


async def create_tenant(
    db: Database,
    spec: NewTenant,
    *,
    redis: Redis | None = None,
    hasher: PasswordHashing | None = None,
    migrations: Sequence[Migration] | None = None,
) -> Tenant:
    """Provision a tenant with its schema at head, in one transaction.

    Args:
        db: the database.
        spec: what to create.
        redis: when given, every replica is told (negative cache entries go).
        hasher: needed when the spec names an owner.
        migrations: the tenant migrations; the installed components' by default.

    Returns:
        The new tenant.

    Raises:
        ProvisioningError: ``invalid_tenant`` for bad input, ``tenant_exists``
            when the slug, schema or a domain is taken.
    """
    schema, domains = _checked(spec)
    wanted = list(tenant_migrations() if migrations is None else migrations)
    password_hash = None
    if spec.owner_password is not None:
        if hasher is None:
            raise ProvisioningError("invalid_tenant", "a password hasher is needed for the owner")
        # argon2 takes tens of milliseconds: off the event loop (the console serves others)
        password_hash = await asyncio.to_thread(hasher.hash, spec.owner_password)
    try:
        async with db.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "INSERT INTO public.tenants AS t (slug, name, schema_name, currency, timezone)"  # noqa: S608 - constant columns
                f" VALUES ($1, $2, $3, $4, $5) RETURNING {TENANT_COLUMNS}",
                spec.slug,
                spec.name.strip(),
                schema,
                spec.currency,
                spec.timezone,
            )
            assert row is not None  # INSERT ... RETURNING always returns the row
            tenant = row_to_tenant(row)
            if await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
                raise ProvisioningError("tenant_exists", f"schema {schema!r} already exists")
            if domains:
                await conn.executemany(
                    # the operator's CLI is trusted: its domains serve at once
                    "INSERT INTO public.tenant_domains (domain, tenant_id, status, verified_at)"
                    " VALUES ($1, $2, 'verified', now())",
                    [(d, tenant.id) for d in domains],
                )
            ref = TenantRef(tenant.id, tenant.slug, tenant.schema)
            await apply_tenant_batch(conn, ref, wanted, head_fingerprint(wanted))
            if spec.owner_email is not None:
                await conn.execute(
                    f"INSERT INTO {quote_schema(schema)}.staff_users (email, password_hash, role)"  # noqa: S608 - validated, quoted
                    " VALUES ($1, $2, 'owner')",
                    spec.owner_email.lower(),
                    password_hash,
                )
    except asyncpg.UniqueViolationError as exc:
        raise ProvisioningError("tenant_exists", f"already taken: {exc.detail or exc}") from None
    await publish_tenant_change(redis, tenant.id)
    return tenant


async def set_tenant_status(
    db: Database, slug: str, status: TenantStatus, *, redis: Redis | None = None
) -> Tenant:
    """Suspend or resume a tenant; every replica sees it within seconds.

    Raises:
        ProvisioningError: ``tenant_not_found`` for an unknown slug.
    """
    async with db.platform() as conn:
        row = await conn.fetchrow(
            "UPDATE public.tenants t SET status = $2, updated_at = now() WHERE slug = $1"  # noqa: S608
            f" RETURNING {TENANT_COLUMNS}",
            slug,
            status.value,
        )
    if row is None:
        raise ProvisioningError("tenant_not_found", f"no tenant {slug!r}")
    tenant = row_to_tenant(row)
    await publish_tenant_change(redis, tenant.id)
    return tenant
