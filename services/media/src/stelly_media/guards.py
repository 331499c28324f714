"""Who may upload: a staff bearer token of this tenant, whose user is active
and is a manager or owner (SPEC §3). The role is read from the user's row,
not the token, so that a demotion takes effect at once (as in the menu
service)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stelly_core.auth import verify_token
from stelly_core.errors import ProblemError
from stelly_tenancy.middleware import current_tenant

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler
    from litestar.types import Guard
    from stelly_tenancy.plugin import ServiceContext

__all__ = ["MEDIA_EDITORS", "staff_guard", "staff_id"]

MEDIA_EDITORS = frozenset({"owner", "manager"})


def _bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    scheme, _, token = (connection.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(
            401,
            "not_authenticated",
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def staff_guard(roles: frozenset[str]) -> Guard:
    """A guard admitting active staff with one of ``roles``; it runs before the body is read.

    The user's id is left in the connection state as ``staff_id``.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        context: ServiceContext = connection.app.state["context"]
        tenant = current_tenant(connection)
        claims = verify_token(
            context.settings.secret_key,
            _bearer_token(connection),
            tenant_id=tenant.id,
            kind="staff",
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
                "SELECT id, role, active FROM staff_users WHERE id = $1", int(claims.sub)
            )
        if row is None or not row["active"]:
            raise invalid
        if row["role"] not in roles:
            raise ProblemError(403, "insufficient_role", f"a {row['role']} may not upload images")
        connection.scope["state"]["staff_id"] = int(row["id"])

    return guard


def staff_id(connection: ASGIConnection[Any, Any, Any, Any]) -> int:
    """The staff user the guard admitted."""
    return int(connection.scope["state"]["staff_id"])
