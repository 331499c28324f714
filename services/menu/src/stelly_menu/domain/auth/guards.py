"""Who may call a staff route: the bearer token, checked against the live user row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stelly_core.auth import verify_token
from stelly_core.errors import ProblemError
from stelly_tenancy.middleware import current_tenant

from stelly_menu.runtime import runtime_of

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler
    from litestar.types import Guard

__all__ = [
    "ANY_STAFF",
    "MENU_EDITORS",
    "OWNERS",
    "Staff",
    "bearer_token",
    "require_staff",
    "staff_guard",
]

ANY_STAFF = frozenset({"owner", "manager", "staff"})
MENU_EDITORS = frozenset({"owner", "manager"})
OWNERS = frozenset({"owner"})


@dataclass(frozen=True, slots=True)
class Staff:
    id: int
    email: str
    role: str


def bearer_token(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The bearer token of the request.

    Raises:
        ProblemError: 401 ``not_authenticated`` when there is none.
    """
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(
            401,
            "not_authenticated",
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


async def require_staff(
    request: ASGIConnection[Any, Any, Any, Any], roles: frozenset[str]
) -> Staff:
    """The active staff user behind the request's token, if their role is allowed.

    The role is read from the database, not the token, so that a demotion or
    deactivation takes effect at once.

    Raises:
        ProblemError: 401 without a valid token of this tenant's active user,
            403 ``token_wrong_tenant`` for another tenant's token,
            403 ``insufficient_role`` for a role not in ``roles``.
    """
    runtime = runtime_of(request)
    tenant = current_tenant(request)
    claims = verify_token(
        runtime.settings.secret_key, bearer_token(request), tenant_id=tenant.id, kind="staff"
    )
    invalid = ProblemError(
        401,
        "invalid_token",
        "the token's user is unknown or inactive",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if not claims.sub.isdigit() or len(claims.sub) > 18:
        raise invalid
    async with runtime.db.tenant(tenant.schema) as conn:
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

    The staff user is left in the connection's state as ``staff``.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        connection.scope["state"]["staff"] = await require_staff(connection, roles)

    return guard
