"""Staff login in a tenant's schema (accounts: :mod:`stelly_menu.domain.staff`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from stelly_core.auth import issue_token
from stelly_core.errors import ProblemError
from stelly_core.ratelimit import RateLimit
from stelly_core.telemetry.instruments import instruments

from stelly_menu.domain.auth.schemas import TokenResponse

if TYPE_CHECKING:
    from stelly_tenancy.models import Tenant

    from stelly_menu.runtime import MenuRuntime

__all__ = [
    "LOGIN_FAILURES_PER_ACCOUNT",
    "LOGIN_FAILURES_PER_CLIENT",
    "login",
    "staff_token",
]

STAFF_TOKEN_TTL = 12 * 3600
#: Login attempts allowed per e-mail and per client address (a burst, then spaced out).
#: Every attempt counts, since the limiter cannot peek without counting; the
#: limits are far above what a person who knows their password needs.
LOGIN_FAILURES_PER_ACCOUNT = RateLimit("login-account", limit=10, period=300)
LOGIN_FAILURES_PER_CLIENT = RateLimit("login-client", limit=30, period=300)
_WRONG = "wrong e-mail or password"
#: ``stelly.auth.login.failures`` attributes: which login (the platform console has its own)
_STAFF_LOGIN = {"stelly.login.realm": "staff"}


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
            "SELECT id, password_hash, role, active, token_version FROM staff_users"
            " WHERE email = $1",
            email,
        )
    stored = row["password_hash"] if row is not None and row["active"] else None
    ok = await asyncio.to_thread(runtime.hasher.verify, stored, password)
    if not ok or row is None:
        instruments().login_failures.add(1, _STAFF_LOGIN)
        raise ProblemError(
            401, "invalid_credentials", _WRONG, headers={"WWW-Authenticate": "Bearer"}
        )
    async with runtime.db.tenant(tenant.schema) as conn:
        await conn.execute("UPDATE staff_users SET last_login_at = now() WHERE id = $1", row["id"])
    return staff_token(runtime, tenant, row["id"], row["role"], row["token_version"])


def staff_token(
    runtime: MenuRuntime, tenant: Tenant, user_id: int, role: str, version: int
) -> TokenResponse:
    """A staff access token (``STAFF_TOKEN_TTL``) for the user at this token version."""
    token = issue_token(
        runtime.settings.secret_key,
        tenant_id=tenant.id,
        subject=str(user_id),
        kind="staff",
        ttl_seconds=STAFF_TOKEN_TTL,
        role=role,
        version=version,
    )
    return TokenResponse(
        access_token=token,
        token_type="bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=STAFF_TOKEN_TTL,
    )
