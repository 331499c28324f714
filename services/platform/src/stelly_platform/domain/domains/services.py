"""A tenant's custom domains: add, prove by DNS, serve, remove.

A domain is added ``pending`` with a random token; the owner publishes it as
the TXT record ``_stelly-challenge.{domain}`` and asks to verify. Only when
the record matches (and, in Azure, Front Door has the domain on the tenant
routes) does it become ``verified``, and only verified domains resolve to a
tenant (:func:`stelly_tenancy.registry.fetch_by_domain`). Becoming verified
and being removed publish the tenant change, so every replica's cache drops
the host at once (its TTL bounds it when Redis is down). In development a
``*.localhost`` domain verifies without a lookup (no DNS can point at one).

Invariants: one row per domain across all tenants (the primary key), so a
domain taken by another tenant is a 409 and never moves silently; a tenant
only ever sees and changes its own rows; Front Door changes are serialised
across replicas by one advisory lock, because a route's list of domains is
read, changed and written back.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import TYPE_CHECKING, Any

import msgspec
from stelly_core.errors import ProblemError
from stelly_tenancy.invalidation import publish_tenant_change
from stelly_tenancy.models import validate_domain
from stelly_tenancy.registry import fetch_by_slug

from stelly_platform.domain.domains.dns import DnsLookupFailed, challenge_name, judge_txt
from stelly_platform.domain.domains.frontdoor import (
    DNSAUTH_LABEL,
    CertificateStatus,
    FrontDoorError,
)
from stelly_platform.domain.domains.rules import is_local_domain, judge_domain, shadowing_slug
from stelly_platform.domain.domains.schemas import CertificateOut, DnsRecord, DomainOut
from stelly_platform.domain.tenants.services import tenant_id_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import asyncpg

    from stelly_platform.domain.domains.dns import PendingReason
    from stelly_platform.runtime import PlatformRuntime

__all__ = ["FRONTDOOR_LOCK", "add", "frontdoor_lock", "list_domains", "remove", "verify"]

#: the advisory lock that serialises Front Door changes across replicas
FRONTDOOR_LOCK = 0x5E11_0F0D
_COLUMNS = (
    "domain, status, verification_token, reason, certificate, created_at, verified_at,"
    " last_checked_at"
)


def _certificate(row: asyncpg.Record) -> CertificateStatus | None:
    raw = row["certificate"]
    return None if raw is None else msgspec.json.decode(raw, type=CertificateStatus)


def _out(runtime: PlatformRuntime, row: asyncpg.Record) -> DomainOut:
    domain: str = row["domain"]
    records = [DnsRecord(type="CNAME", name=domain, value=runtime.config.cname_target)]
    if row["verification_token"]:
        records.append(
            DnsRecord(type="TXT", name=challenge_name(domain), value=row["verification_token"])
        )
    certificate = _certificate(row)
    if certificate is not None and certificate.validation_token:
        records.append(
            DnsRecord(
                type="TXT", name=f"{DNSAUTH_LABEL}.{domain}", value=certificate.validation_token
            )
        )
    return DomainOut(
        domain=domain,
        status="verified" if row["status"] == "verified" else "pending",
        records=records,
        reason=row["reason"],
        certificate=None
        if certificate is None
        else CertificateOut(
            state=certificate.state, deployment_status=certificate.deployment_status
        ),
        created_at=row["created_at"],
        verified_at=row["verified_at"],
        last_checked_at=row["last_checked_at"],
    )


def _not_found(domain: str) -> ProblemError:
    return ProblemError(404, "domain_not_found", f"this tenant has no domain {domain!r}")


def _path_domain(raw: str) -> str:
    """A domain from a path: normalised, or 404 (no stored domain is malformed)."""
    try:
        return validate_domain(raw)
    except ValueError:
        raise _not_found(raw) from None


def _verifies_locally(runtime: PlatformRuntime, domain: str) -> bool:
    """A ``*.localhost`` domain in development: no DNS lookup, no Front Door."""
    return runtime.settings.is_development and is_local_domain(domain)


@contextlib.asynccontextmanager
async def frontdoor_lock(runtime: PlatformRuntime) -> AsyncIterator[None]:
    """Hold the advisory lock that serialises Front Door changes across replicas."""
    async with runtime.db.pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", FRONTDOOR_LOCK)
        try:
            yield
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", FRONTDOOR_LOCK)


async def _row(runtime: PlatformRuntime, tenant_id: int, domain: str) -> asyncpg.Record:
    async with runtime.db.platform() as conn:
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM public.tenant_domains"  # noqa: S608 - constant columns
            " WHERE domain = $1 AND tenant_id = $2",
            domain,
            tenant_id,
        )
    if row is None:
        raise _not_found(domain)
    return row


async def list_domains(runtime: PlatformRuntime, slug: str) -> list[DomainOut]:
    """The tenant's domains, oldest first.

    Raises:
        ProblemError: 404 ``tenant_not_found``.
    """
    tenant_id = await tenant_id_of(runtime, slug)
    async with runtime.db.platform() as conn:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM public.tenant_domains"  # noqa: S608 - constant columns
            " WHERE tenant_id = $1 ORDER BY created_at, domain",
            tenant_id,
        )
    return [_out(runtime, row) for row in rows]


async def add(runtime: PlatformRuntime, slug: str, raw: str) -> tuple[DomainOut, bool]:
    """Add a pending domain with a fresh token (the same tenant adding it again gets it back).

    Returns:
        The domain and whether this call added it.

    Raises:
        ProblemError: 404 ``tenant_not_found``, 422 ``invalid_domain``,
            422 ``domain_not_allowed`` (Stelly's own names), 409 ``domain_taken``
            (another tenant's).
    """
    tenant_id = await tenant_id_of(runtime, slug)
    settings = runtime.settings
    domain, refusal = judge_domain(
        raw,
        base_domain=settings.base_domain,
        console_host=runtime.config.console_host,
        development=settings.is_development,
    )
    shadow = shadowing_slug(domain, settings.base_domain)
    if refusal is None and shadow is not None and await fetch_by_slug(runtime.db.pool, shadow):
        refusal = "domain_not_allowed"  # that name is a tenant's own host
    if refusal == "invalid_domain":
        message = "not a valid host name of two labels or more"
        raise ProblemError(
            422,
            "invalid_domain",
            f"domain: {message}",
            extra={"errors": [{"field": "domain", "message": message}]},
        )
    if refusal == "domain_not_allowed":
        raise ProblemError(
            422, "domain_not_allowed", f"{domain} is one of Stelly's own names, not a custom domain"
        )
    async with runtime.db.platform() as conn:
        row = await conn.fetchrow(
            "INSERT INTO public.tenant_domains (domain, tenant_id, status, verification_token)"  # noqa: S608 - constant columns
            f" VALUES ($1, $2, 'pending', $3) ON CONFLICT (domain) DO NOTHING RETURNING {_COLUMNS}",
            domain,
            tenant_id,
            secrets.token_urlsafe(24),
        )
        created = row is not None
        if row is None:
            row = await conn.fetchrow(
                f"SELECT tenant_id, {_COLUMNS} FROM public.tenant_domains WHERE domain = $1",  # noqa: S608
                domain,
            )
            if row is None or row["tenant_id"] != tenant_id:
                # (gone again in between: the client may simply retry)
                raise ProblemError(409, "domain_taken", f"{domain} belongs to another tenant")
    return _out(runtime, row), created


async def _check(runtime: PlatformRuntime, row: asyncpg.Record) -> PendingReason | None:
    domain: str = row["domain"]
    try:
        values = await runtime.dns.txt(challenge_name(domain))
    except DnsLookupFailed:
        return "dns_error"
    return judge_txt(values, row["verification_token"] or "")


async def verify(runtime: PlatformRuntime, slug: str, raw: str) -> DomainOut:
    """Check the domain's TXT record; on a match (and Front Door set up) it serves.

    A verified domain is not checked again (removing the TXT record later
    does not stop it); verifying it once more refreshes its certificate state.

    Raises:
        ProblemError: 404 ``tenant_not_found`` / ``domain_not_found``.
    """
    tenant_id = await tenant_id_of(runtime, slug)
    domain = _path_domain(raw)
    row = await _row(runtime, tenant_id, domain)
    frontdoor = runtime.frontdoor
    certificate: CertificateStatus | None = _certificate(row)
    reason: PendingReason | None = None
    local = _verifies_locally(runtime, domain)
    if row["status"] == "verified":
        if frontdoor is not None and not local:
            with contextlib.suppress(FrontDoorError):
                certificate = await frontdoor.status(domain) or certificate
    else:
        reason = None if local else await _check(runtime, row)
        if reason is None and frontdoor is not None and not local:
            try:
                async with frontdoor_lock(runtime):
                    certificate = await frontdoor.attach(domain)
            except FrontDoorError:
                reason = "frontdoor_error"
    encoded: Any = None if certificate is None else msgspec.json.encode(certificate).decode()
    async with runtime.db.platform() as conn:
        updated = await conn.fetchrow(
            "UPDATE public.tenant_domains SET"  # noqa: S608 - constant columns
            " status = CASE WHEN $3::text IS NULL THEN 'verified' ELSE status END,"
            " verified_at = CASE WHEN $3::text IS NULL THEN coalesce(verified_at, now())"
            "  ELSE verified_at END,"
            " reason = $3, certificate = $4::jsonb, last_checked_at = now()"
            f" WHERE domain = $1 AND tenant_id = $2 RETURNING {_COLUMNS}",
            domain,
            tenant_id,
            reason,
            encoded,
        )
    if updated is None:
        raise _not_found(domain)
    if row["status"] != "verified" and updated["status"] == "verified":
        await publish_tenant_change(runtime.redis, tenant_id)
    return _out(runtime, updated)


async def remove(runtime: PlatformRuntime, slug: str, raw: str) -> None:
    """Take the domain off Front Door (in Azure) and out of the registry; it stops serving.

    Raises:
        ProblemError: 404 ``tenant_not_found`` / ``domain_not_found``,
            502 ``frontdoor_error`` when Front Door refused (nothing changed then).
    """
    tenant_id = await tenant_id_of(runtime, slug)
    domain = _path_domain(raw)
    await _row(runtime, tenant_id, domain)
    frontdoor = runtime.frontdoor
    if frontdoor is not None and not _verifies_locally(runtime, domain):
        try:
            async with frontdoor_lock(runtime):
                await frontdoor.detach(domain)
        except FrontDoorError as exc:
            raise ProblemError(
                502, "frontdoor_error", f"Front Door did not let go of {domain}: {exc}"
            ) from None
    async with runtime.db.platform() as conn:
        deleted = await conn.fetchval(
            "DELETE FROM public.tenant_domains WHERE domain = $1 AND tenant_id = $2 RETURNING 1",
            domain,
            tenant_id,
        )
    if deleted is None:
        raise _not_found(domain)
    await publish_tenant_change(runtime.redis, tenant_id)
