"""The guard of every console route but login: a platform admin's bearer token.

The admin row is read on every request (one lookup by primary key), so that
a deactivated admin is refused at once, whatever their token says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stelly_tenancy.staff import bearer_token

from stelly_platform.domain.auth.tokens import invalid_platform_token, verify_platform_token
from stelly_platform.runtime import runtime_of

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler

__all__ = ["platform_admin_guard"]


async def platform_admin_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Let the request through only with an active platform admin's token.

    Raises:
        ProblemError: 401 ``not_authenticated`` without a bearer token,
            401 ``invalid_token`` for any other token or an inactive admin.
    """
    runtime = runtime_of(connection)
    admin_id = verify_platform_token(runtime.settings.secret_key, bearer_token(connection))
    async with runtime.db.platform() as conn:
        active = await conn.fetchval(
            "SELECT active FROM public.platform_admins WHERE id = $1", admin_id
        )
    if not active:
        raise invalid_platform_token()
    connection.scope.setdefault("state", {})["platform_admin"] = admin_id
