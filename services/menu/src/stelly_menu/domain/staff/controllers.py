"""``/api/v1/admin/users``: staff accounts (owners: all; managers: ``staff`` accounts)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from stelly_core.openapi import STAFF_SECURITY, VALIDATION_PROBLEMS
from stelly_tenancy.middleware import current_tenant, tenant_host
from stelly_tenancy.staff import MENU_EDITORS, current_staff, staff_guard

from stelly_menu.domain.auth.schemas import UserCreate
from stelly_menu.domain.staff import services
from stelly_menu.domain.staff.schemas import (
    InvitationOut,
    InvitationRequest,
    ResetOut,
    StaffUser,
)
from stelly_menu.openapi import PATH_ID_PROBLEMS, staff_responses
from stelly_menu.runtime import runtime_of
from stelly_menu.types import PathId

__all__ = ["StaffAccountController", "public_origin"]

_TARGET_PROBLEMS = {404: ["user_not_found"]}
_SELF_PROBLEMS = {403: ["cannot_change_self"]}


def public_origin(request: Request[Any, Any, Any]) -> str:
    """``{scheme}://{host[:port]}`` of the store as the client reached it, for links.

    The host is always the resolved tenant host; the browser's ``Origin`` only
    adds the port (the edge strips it) when it names that same host. The
    scheme is the edge's ``X-Forwarded-Proto`` (or the socket's).
    """
    host = tenant_host(request)
    origin = request.headers.get("origin")
    if origin:
        parts = urlsplit(origin)
        if parts.scheme in ("http", "https") and parts.hostname == host:
            return f"{parts.scheme}://{parts.netloc}"
    proto = (
        request.headers.get("x-forwarded-proto") or request.scope.get("scheme") or "http"
    ).lower()
    return f"{'https' if proto == 'https' else 'http'}://{host}"


class StaffAccountController(Controller):
    path = "/api/v1/admin/users"
    tags = ["admin"]
    guards = [staff_guard(MENU_EDITORS)]
    security = STAFF_SECURITY

    @get("/", responses=staff_responses())
    async def list_users(self, request: Request[Any, Any, Any]) -> list[StaffUser]:
        """Every staff account (owners and managers)."""
        return await services.list_users(runtime_of(request), current_tenant(request))

    @post(
        "/",
        responses=staff_responses(VALIDATION_PROBLEMS, {409: ["email_taken"]}),
    )
    async def create_user(
        self, request: Request[Any, Any, Any], data: JSONBody[UserCreate]
    ) -> StaffUser:
        """Add an account with a password (a manager: ``staff`` accounts only)."""
        return await services.create_user(
            runtime_of(request), current_tenant(request), current_staff(request), data
        )

    @post(
        "/invitations",
        status_code=201,
        responses=staff_responses(VALIDATION_PROBLEMS, {409: ["user_exists"]}),
    )
    async def invite(
        self, request: Request[Any, Any, Any], data: JSONBody[InvitationRequest]
    ) -> InvitationOut:
        """Invite someone: an account without a password and a single-use link (7 days).

        No e-mail is sent: the link is in the answer (and in the server log).
        """
        return await services.invite_user(
            runtime_of(request),
            current_tenant(request),
            current_staff(request),
            data,
            public_origin(request),
        )

    @post(
        "/{user_id:int}/disable",
        status_code=200,
        responses=staff_responses(PATH_ID_PROBLEMS, _TARGET_PROBLEMS, _SELF_PROBLEMS),
    )
    async def disable(self, request: Request[Any, Any, Any], user_id: PathId) -> StaffUser:
        """Disable an account: its tokens stop working at once."""
        return await services.set_disabled(
            runtime_of(request),
            current_tenant(request),
            current_staff(request),
            user_id,
            disabled=True,
        )

    @post(
        "/{user_id:int}/enable",
        status_code=200,
        responses=staff_responses(PATH_ID_PROBLEMS, _TARGET_PROBLEMS),
    )
    async def enable(self, request: Request[Any, Any, Any], user_id: PathId) -> StaffUser:
        """Enable a disabled account (its old tokens stay dead: it signs in again)."""
        return await services.set_disabled(
            runtime_of(request),
            current_tenant(request),
            current_staff(request),
            user_id,
            disabled=False,
        )

    @post(
        "/{user_id:int}/password-reset",
        status_code=200,
        responses=staff_responses(PATH_ID_PROBLEMS, _TARGET_PROBLEMS, _SELF_PROBLEMS),
    )
    async def password_reset(self, request: Request[Any, Any, Any], user_id: PathId) -> ResetOut:
        """A single-use password-reset link (24 hours); the user's tokens stop working now."""
        return await services.reset_password(
            runtime_of(request),
            current_tenant(request),
            current_staff(request),
            user_id,
            public_origin(request),
        )
