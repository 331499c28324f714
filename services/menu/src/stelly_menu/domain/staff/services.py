"""Staff accounts of one store: listing, creating, inviting, disabling, resetting, accepting.

Who may manage whom (:func:`check_may_manage`): an owner manages every
account but never disables themself; a manager manages ``staff`` accounts
only; staff manage none (the route guards refuse them first). Disabling or
resetting a password bumps the user's ``token_version`` in the same
statement, so every token issued before stops working on the next request on
every replica (:mod:`stelly_tenancy.staff` compares it per request). After
the commit a revocation notice goes out through Redis
(:func:`stelly_tenancy.invalidation.publish_staff_revoked`), so that realtime
replicas end the user's live kitchen subscriptions at once. It is best
effort: with Redis briefly down the request still succeeds (the failure is
logged) and realtime's periodic sweep, which reads the row, ends them within
its interval (30 s) instead.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import asyncpg
from redis.exceptions import RedisError
from stelly_core.errors import ProblemError
from stelly_core.ratelimit import RateLimit
from stelly_tenancy.invalidation import publish_staff_revoked

from stelly_menu.domain.auth.schemas import TokenResponse
from stelly_menu.domain.auth.services import staff_token
from stelly_menu.domain.staff.schemas import (
    AccountStatus,
    InvitationOut,
    InvitationRequest,
    ResetOut,
    StaffUser,
)
from stelly_menu.domain.staff.tickets import (
    INVALID_LINK,
    Ticket,
    TicketPurpose,
    accept_link,
    mint_ticket,
    read_ticket,
)

if TYPE_CHECKING:
    from stelly_core.db import DbConnection
    from stelly_tenancy.models import Tenant
    from stelly_tenancy.staff import Staff

    from stelly_menu.domain.auth.schemas import UserCreate
    from stelly_menu.runtime import MenuRuntime

__all__ = [
    "ACCEPTS_PER_CLIENT",
    "accept_ticket",
    "check_may_manage",
    "create_user",
    "invite_user",
    "list_users",
    "reset_password",
    "set_disabled",
]

_log = logging.getLogger("stelly.menu.staff")
#: link acceptances per client address: like logins, a burst then spaced out
ACCEPTS_PER_CLIENT = RateLimit("accept-client", limit=30, period=300)
#: the hash of an account that has no password yet (argon2 never matches it)
NO_PASSWORD = "!"  # noqa: S105 - not a password: a hash nothing matches
_USER_COLUMNS = "id, email, role, active, invited, created_at, last_login_at"
_USER_NOT_FOUND = ProblemError(404, "user_not_found", "no such user")
#: disabling yourself, or resetting your own password (which ends your own
#: session), would lock you out: another owner must do it
_CANNOT_CHANGE_SELF = ProblemError(
    403, "cannot_change_self", "you cannot disable your own account or reset your own password"
)


def _user(row: asyncpg.Record) -> StaffUser:
    status: AccountStatus = (
        "disabled" if not row["active"] else "invited" if row["invited"] else "active"
    )
    return StaffUser(
        id=row["id"],
        email=row["email"],
        role=row["role"],
        status=status,
        active=row["active"],
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
    )


def check_may_manage(actor: Staff, role: str) -> None:
    """Whether ``actor`` may invite, create, disable, enable or reset an account of ``role``.

    Raises:
        ProblemError: 403 ``insufficient_role``.
    """
    if actor.role == "owner" or (actor.role == "manager" and role == "staff"):
        return
    raise ProblemError(403, "insufficient_role", f"a {actor.role} may not manage a {role} account")


async def list_users(runtime: MenuRuntime, tenant: Tenant) -> list[StaffUser]:
    async with runtime.db.tenant(tenant.schema) as conn:
        rows = await conn.fetch(f"SELECT {_USER_COLUMNS} FROM staff_users ORDER BY id")  # noqa: S608 - fixed
    return [_user(r) for r in rows]


async def create_user(
    runtime: MenuRuntime, tenant: Tenant, actor: Staff, data: UserCreate
) -> StaffUser:
    """Add an account with a password.

    Raises:
        ProblemError: 403 ``insufficient_role``; 409 ``email_taken``.
    """
    check_may_manage(actor, data.role)
    password_hash = await asyncio.to_thread(runtime.hasher.hash, data.password)
    try:
        async with runtime.db.tenant(tenant.schema) as conn:
            row = await conn.fetchrow(
                "INSERT INTO staff_users (email, password_hash, role) VALUES ($1, $2, $3)"  # noqa: S608 - fixed SQL fragments, values are parameters
                f" RETURNING {_USER_COLUMNS}",
                data.email.strip().lower(),
                password_hash,
                data.role,
            )
    except asyncpg.UniqueViolationError:
        raise ProblemError(409, "email_taken", "a user with this e-mail exists") from None
    assert row is not None
    return _user(row)


async def _record_ticket(conn: DbConnection, ticket: Ticket) -> None:
    # a newer link replaces the user's older unused ones
    await conn.execute(
        "DELETE FROM staff_tickets WHERE user_id = $1 AND used_at IS NULL", ticket.user_id
    )
    await conn.execute(
        "INSERT INTO staff_tickets (nonce, user_id, purpose, expires_at) VALUES ($1, $2, $3, $4)",
        ticket.nonce,
        ticket.user_id,
        ticket.purpose,
        ticket.expires_at,
    )


async def invite_user(
    runtime: MenuRuntime, tenant: Tenant, actor: Staff, data: InvitationRequest, origin: str
) -> InvitationOut:
    """Create an invited account and its single-use link (7 days).

    No mail server is wired: the link is logged at WARNING with the e-mail and
    returned, so that the inviter can pass it on.

    Raises:
        ProblemError: 403 ``insufficient_role``; 409 ``user_exists``.
    """
    check_may_manage(actor, data.role)
    try:
        async with runtime.db.tenant(tenant.schema) as conn:
            row = await conn.fetchrow(
                "INSERT INTO staff_users (email, password_hash, role, invited)"  # noqa: S608 - fixed SQL fragments, values are parameters
                f" VALUES ($1, $2, $3, true) RETURNING {_USER_COLUMNS}",
                data.email.strip().lower(),
                NO_PASSWORD,
                data.role,
            )
            assert row is not None
            ticket = mint_ticket(runtime.settings.secret_key, tenant.id, row["id"], "invite")
            await _record_ticket(conn, ticket)
    except asyncpg.UniqueViolationError:
        raise ProblemError(409, "user_exists", "a user with this e-mail exists") from None
    url = accept_link(origin, ticket.token)
    _log.warning("invitation for %s (%s) at %s: %s", row["email"], data.role, tenant.slug, url)
    return InvitationOut(user=_user(row), invite_url=url, expires_at=ticket.expires_at)


async def _target_role(conn: DbConnection, user_id: int) -> str:
    role: str | None = await conn.fetchval(
        "SELECT role FROM staff_users WHERE id = $1 FOR UPDATE", user_id
    )
    if role is None:
        raise _USER_NOT_FOUND
    return role


async def set_disabled(
    runtime: MenuRuntime, tenant: Tenant, actor: Staff, user_id: int, *, disabled: bool
) -> StaffUser:
    """Disable (every token of the user stops working at once) or enable an account.

    Raises:
        ProblemError: 403 ``insufficient_role`` or ``cannot_change_self``; 404 ``user_not_found``.
    """
    if disabled and user_id == actor.id:
        raise _CANNOT_CHANGE_SELF
    async with runtime.db.tenant(tenant.schema) as conn:
        check_may_manage(actor, await _target_role(conn, user_id))
        if disabled:
            sql = (
                "UPDATE staff_users SET active = false, token_version = token_version + 1,"
                " updated_at = now() WHERE id = $1"
            )
        else:
            sql = "UPDATE staff_users SET active = true, updated_at = now() WHERE id = $1"
        row = await conn.fetchrow(f"{sql} RETURNING {_USER_COLUMNS}, token_version", user_id)
    assert row is not None
    if disabled:
        await publish_staff_revoked(runtime.context.redis, tenant.id, user_id, row["token_version"])
    return _user(row)


async def reset_password(
    runtime: MenuRuntime, tenant: Tenant, actor: Staff, user_id: int, origin: str
) -> ResetOut:
    """A single-use password-reset link (24 hours); the user's tokens stop working now.

    Raises:
        ProblemError: 403 ``insufficient_role`` or ``cannot_change_self``; 404 ``user_not_found``.
    """
    if user_id == actor.id:
        raise _CANNOT_CHANGE_SELF
    async with runtime.db.tenant(tenant.schema) as conn:
        check_may_manage(actor, await _target_role(conn, user_id))
        bumped = await conn.fetchrow(
            "UPDATE staff_users SET token_version = token_version + 1, updated_at = now()"
            " WHERE id = $1 RETURNING email, token_version",
            user_id,
        )
        assert bumped is not None
        ticket = mint_ticket(runtime.settings.secret_key, tenant.id, user_id, "reset")
        await _record_ticket(conn, ticket)
    await publish_staff_revoked(runtime.context.redis, tenant.id, user_id, bumped["token_version"])
    url = accept_link(origin, ticket.token)
    _log.warning("password reset for %s at %s: %s", bumped["email"], tenant.slug, url)
    return ResetOut(reset_url=url, expires_at=ticket.expires_at)


async def _throttle(runtime: MenuRuntime, tenant: Tenant, client: str | None) -> None:
    try:
        verdict = await runtime.limiter.hit(ACCEPTS_PER_CLIENT, tenant.id, client or "unknown")
    except (RedisError, OSError):
        return  # the nonce and argon2 still bound what guessing can do
    if not verdict.allowed:
        raise ProblemError(
            429,
            "too_many_attempts",
            "too many attempts, try again later",
            headers={"Retry-After": str(verdict.retry_after)},
        )


async def accept_ticket(
    runtime: MenuRuntime, tenant: Tenant, token: str, password: str, client: str | None
) -> TokenResponse:
    """Set the password of the link's user, activate an invited account, consume the link.

    Returns:
        An access token of the user, as a login would.

    Raises:
        ProblemError: 400 ``invalid_token`` (one answer for every bad link),
            429 ``too_many_attempts``.
    """
    await _throttle(runtime, tenant, client)
    purpose: TicketPurpose
    purpose, user_id, nonce = read_ticket(runtime.settings.secret_key, token, tenant.id)
    password_hash = await asyncio.to_thread(runtime.hasher.hash, password)
    async with runtime.db.tenant(tenant.schema) as conn:
        consumed = await conn.fetchval(
            "UPDATE staff_tickets SET used_at = now() WHERE nonce = $1 AND user_id = $2"
            " AND purpose = $3 AND used_at IS NULL AND expires_at > now() RETURNING nonce",
            nonce,
            user_id,
            purpose,
        )
        if consumed is None:
            raise INVALID_LINK
        row = await conn.fetchrow(
            "UPDATE staff_users SET password_hash = $2, invited = false,"
            " token_version = token_version + 1, last_login_at = now(), updated_at = now()"
            " WHERE id = $1 AND active RETURNING id, role, token_version",
            user_id,
            password_hash,
        )
        if row is None:  # disabled meanwhile: the transaction (and the consumption) rolls back
            raise INVALID_LINK
    # tokens signed in with the old password (between a reset and now) end too
    await publish_staff_revoked(runtime.context.redis, tenant.id, user_id, row["token_version"])
    return staff_token(runtime, tenant, row["id"], row["role"], row["token_version"])
