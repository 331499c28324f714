"""Platform admin login: argon2 check, rate limits, the console token."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from stelly_core.errors import ProblemError
from stelly_core.ratelimit import RateLimit
from stelly_core.telemetry.instruments import instruments

from stelly_platform.domain.auth.schemas import TokenResponse
from stelly_platform.domain.auth.tokens import PLATFORM_TOKEN_TTL, issue_platform_token

if TYPE_CHECKING:
    from stelly_platform.runtime import PlatformRuntime

__all__ = ["LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_FAILURES_PER_CLIENT", "login"]

#: the same limits as staff logins (stelly_menu's auth), under platform keys
LOGIN_FAILURES_PER_ACCOUNT = RateLimit("console-login-account", limit=10, period=300)
LOGIN_FAILURES_PER_CLIENT = RateLimit("console-login-client", limit=30, period=300)
_WRONG = "wrong e-mail or password"
#: ``stelly.auth.login.failures`` attributes (staff logins count under ``staff``)
_CONSOLE_LOGIN = {"stelly.login.realm": "platform"}


async def _throttled(runtime: PlatformRuntime, keys: list[tuple[RateLimit, str]]) -> int:
    """Seconds to wait if any key is over its limit (0 when allowed or Redis is down)."""
    wait = 0
    try:
        for rule, client in keys:
            verdict = await runtime.limiter.hit_platform(rule, client)
            if not verdict.allowed:
                wait = max(wait, verdict.retry_after)
    except (RedisError, OSError):
        return 0  # argon2 still makes guessing slow; refusing every login would be worse
    return wait


async def login(
    runtime: PlatformRuntime, email: str, password: str, client: str | None
) -> TokenResponse:
    """Exchange a platform admin's credentials for a console token.

    Raises:
        ProblemError: 429 ``too_many_attempts`` with ``Retry-After`` after
            repeated attempts, 401 ``invalid_credentials`` (one message
            whether the e-mail exists or not).
    """
    email = email.strip().lower()
    keys = [(LOGIN_FAILURES_PER_ACCOUNT, email), (LOGIN_FAILURES_PER_CLIENT, client or "unknown")]
    wait = await _throttled(runtime, keys)
    if wait:
        raise ProblemError(
            429,
            "too_many_attempts",
            "too many failed logins, try again later",
            headers={"Retry-After": str(wait)},
        )
    async with runtime.db.platform() as conn:
        row = await conn.fetchrow(
            "SELECT id, password_hash, active FROM public.platform_admins WHERE email = $1", email
        )
    stored = row["password_hash"] if row is not None and row["active"] else None
    ok = await asyncio.to_thread(runtime.hasher.verify, stored, password)
    if not ok or row is None:
        instruments().login_failures.add(1, _CONSOLE_LOGIN)
        raise ProblemError(
            401, "invalid_credentials", _WRONG, headers={"WWW-Authenticate": "Bearer"}
        )
    return TokenResponse(
        access_token=issue_platform_token(runtime.settings.secret_key, row["id"]),
        token_type="bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=PLATFORM_TOKEN_TTL,
    )
