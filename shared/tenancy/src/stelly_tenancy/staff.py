"""Who may call a staff route: the bearer token, checked against the live user row.

Shared by every service with staff routes (menu, media). The role and the
``active`` flag are read from the tenant's ``staff_users`` row, not the token,
so that a demotion or deactivation takes effect at once.
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

    from stelly_tenancy.plugin import ServiceContext

__all__ = [
    "ANY_STAFF",
    "MENU_EDITORS",
    "OWNERS",
    "Staff",
    "bearer_token",
    "current_staff",
    "require_staff",
    "staff_guard",
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
    invalid = ProblemError(
        401,
        "invalid_token",
        "the token's user is unknown or inactive",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if not claims.sub.isdigit() or len(claims.sub) > 18:
        raise invalid
    async with context.db.tenant(tenant.schema) as conn:
        row = await conn.fetchrow(
            "SELECT id, email, role, active FROM staff_users WHERE id = $1", int(claims.sub)
        )
    if row is None or not row["active"]:
        raise invalid
    if row["role"] not in roles:
        raise ProblemError(403, "insufficient_role", f"a {row['role']} may not do this")
    return Staff(row["id"], row["email"], row["role"])


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
