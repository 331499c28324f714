"""Staff authentication and accounts in a tenant's schema."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import asyncpg
from redis.exceptions import RedisError
from stelly_core.auth import issue_token
from stelly_core.errors import ProblemError
from stelly_core.ratelimit import RateLimit

from stelly_menu.domain.auth.schemas import TokenResponse, UserCreate, UserOut

if TYPE_CHECKING:
    from stelly_tenancy.models import Tenant

    from stelly_menu.runtime import MenuRuntime

__all__ = [
    "LOGIN_FAILURES_PER_ACCOUNT",
    "LOGIN_FAILURES_PER_CLIENT",
    "create_user",
    "list_users",
    "login",
]

STAFF_TOKEN_TTL = 12 * 3600
#: Login attempts allowed per e-mail and per client address (a burst, then spaced out).
#: Every attempt counts, since the limiter cannot peek without counting; the
#: limits are far above what a person who knows their password needs.
LOGIN_FAILURES_PER_ACCOUNT = RateLimit("login-account", limit=10, period=300)
LOGIN_FAILURES_PER_CLIENT = RateLimit("login-client", limit=30, period=300)
_WRONG = "wrong e-mail or password"


async def _throttled(
    runtime: MenuRuntime, tenant: Tenant, keys: list[tuple[RateLimit, str]]
) -> int:
    """Seconds to wait if any key is over its limit (0 when allowed or Redis is down)."""
    wait = 0
    try:
        for rule, client in keys:
            verdict = await runtime.limiter.hit(rule, tenant.id, client)
            if not verdict.allowed:
                wait = max(wait, verdict.retry_after)
    except (RedisError, OSError):
        return 0  # argon2 still makes guessing slow; refusing every login would be worse
    return wait


async def login(
    runtime: MenuRuntime, tenant: Tenant, email: str, password: str, client: str | None
) -> TokenResponse:
    """Exchange credentials for a staff token.

    Raises:
        ProblemError: 429 ``too_many_attempts`` with ``Retry-After`` after
            repeated failures, 401 ``invalid_credentials`` (one message
            whether the e-mail exists or not).
    """
    email = email.strip().lower()
    keys = [(LOGIN_FAILURES_PER_ACCOUNT, email), (LOGIN_FAILURES_PER_CLIENT, client or "unknown")]
    wait = await _throttled(runtime, tenant, keys)
    if wait:
        raise ProblemError(
            429,
            "too_many_attempts",
            "too many failed logins, try again later",
            headers={"Retry-After": str(wait)},
        )
    async with runtime.db.tenant(tenant.schema) as conn:
        row = await conn.fetchrow(
            "SELECT id, password_hash, role, active FROM staff_users WHERE email = $1", email
        )
    stored = row["password_hash"] if row is not None and row["active"] else None
    ok = await asyncio.to_thread(runtime.hasher.verify, stored, password)
    if not ok or row is None:
        raise ProblemError(
            401, "invalid_credentials", _WRONG, headers={"WWW-Authenticate": "Bearer"}
        )
    token = issue_token(
        runtime.settings.secret_key,
        tenant_id=tenant.id,
        subject=str(row["id"]),
        kind="staff",
        ttl_seconds=STAFF_TOKEN_TTL,
        role=row["role"],
    )
    return TokenResponse(
        access_token=token,
        token_type="bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=STAFF_TOKEN_TTL,
    )


async def list_users(runtime: MenuRuntime, tenant: Tenant) -> list[UserOut]:
    async with runtime.db.tenant(tenant.schema) as conn:
        rows = await conn.fetch(
            "SELECT id, email, role, active, created_at FROM staff_users ORDER BY id"
        )
    return [UserOut(**dict(r)) for r in rows]


async def create_user(runtime: MenuRuntime, tenant: Tenant, data: UserCreate) -> UserOut:
    """Add a staff account.

    Raises:
        ProblemError: 409 ``email_taken``.
    """
    password_hash = await asyncio.to_thread(runtime.hasher.hash, data.password)
    try:
        async with runtime.db.tenant(tenant.schema) as conn:
            row = await conn.fetchrow(
                "INSERT INTO staff_users (email, password_hash, role) VALUES ($1, $2, $3)"
                " RETURNING id, email, role, active, created_at",
                data.email.strip().lower(),
                password_hash,
                data.role,
            )
    except asyncpg.UniqueViolationError:
        raise ProblemError(409, "email_taken", "a user with this e-mail exists") from None
    assert row is not None
    return UserOut(**dict(row))
