"""Who may call a staff route: the bearer token, checked against the live user row.

Shared by every service with staff routes (menu, media) and by realtime's
``kitchen`` subscriptions. The role and the ``active`` flag are read from the
tenant's ``staff_users`` row on every check, not from the token, so that a
demotion or deactivation takes effect at once on every replica; a token whose
``ver`` differs from the row's ``token_version`` (bumped when the account is
disabled or its password reset) is refused the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stelly_core.auth import verify_token
from stelly_core.errors import ProblemError

from stelly_tenancy.middleware import current_tenant

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler
    from litestar.types import Guard
    from stelly_core.auth import Claims
    from stelly_core.db import Database

    from stelly_tenancy.plugin import ServiceContext

__all__ = [
    "ANY_STAFF",
    "MENU_EDITORS",
    "OWNERS",
    "Staff",
    "bearer_token",
    "current_staff",
    "live_token_versions",
    "require_staff",
    "staff_guard",
    "staff_of_claims",
]

ANY_STAFF = frozenset({"owner", "manager", "staff"})
MENU_EDITORS = frozenset({"owner", "manager"})
OWNERS = frozenset({"owner"})


@dataclass(frozen=True, slots=True)
class Staff:
    """An active staff user of the request's tenant."""

    id: int
    email: str
    role: str


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The bearer token of the request.

    Raises:
        ProblemError: 401 ``not_authenticated`` when there is none.
    """
    scheme, _, token = (connection.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(
            401,
            "not_authenticated",
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


async def require_staff(
    connection: ASGIConnection[Any, Any, Any, Any], roles: frozenset[str]
) -> Staff:
    """The active staff user behind the request's token, if their role is allowed.

    Raises:
        ProblemError: 401 without a valid token of this tenant's active user,
            403 ``token_wrong_tenant`` for another tenant's token,
            403 ``insufficient_role`` for a role not in ``roles``.
    """
    context: ServiceContext = connection.app.state["context"]
    tenant = current_tenant(connection)
    claims = verify_token(
        context.settings.secret_key, bearer_token(connection), tenant_id=tenant.id, kind="staff"
    )
    staff = await staff_of_claims(context.db, tenant.schema, claims)
    if staff is None:
        raise ProblemError(
            401,
            "invalid_token",
            "the token's user is unknown or inactive",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if staff.role not in roles:
        raise ProblemError(403, "insufficient_role", f"a {staff.role} may not do this")
    return staff


async def staff_of_claims(db: Database, schema: str, claims: Claims) -> Staff | None:
    """The active user a verified staff token names, read from the tenant's schema now.

    Args:
        db: the database.
        schema: the schema of the tenant the token was verified for.
        claims: the token's verified claims.

    Returns:
        The user, or ``None`` when unknown, disabled, or the token predates
        the user's last disabling or password reset.
    """
    if not claims.sub.isdigit() or len(claims.sub) > 18:
        return None
    async with db.tenant(schema) as conn:
        row = await conn.fetchrow(
            "SELECT id, email, role, active, token_version FROM staff_users WHERE id = $1",
            int(claims.sub),
        )
    if row is None or not row["active"] or row["token_version"] != claims.ver:
        return None
    return Staff(row["id"], row["email"], row["role"])


async def live_token_versions(db: Database, schema: str, user_ids: list[int]) -> dict[int, int]:
    """The token versions of those of ``user_ids`` that are active, in one query.

    A token (or a subscription admitted by one) is still good only while its
    ``ver`` equals its user's entry here; a missing entry means unknown or disabled.
    """
    async with db.tenant(schema) as conn:
        rows = await conn.fetch(
            "SELECT id, token_version FROM staff_users WHERE id = ANY($1::bigint[]) AND active",
            user_ids,
        )
    return {r["id"]: r["token_version"] for r in rows}


def staff_guard(roles: frozenset[str]) -> Guard:
    """A Litestar guard admitting these roles; it runs before the body is read.

    The staff user is left in the connection's state (:func:`current_staff`).
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        connection.scope["state"]["staff"] = await require_staff(connection, roles)

    return guard


def current_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> Staff:
    """The staff user :func:`staff_guard` admitted."""
    staff: Staff = connection.scope["state"]["staff"]
    return staff
