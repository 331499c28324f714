"""``POST /api/v1/auth/token``, ``POST /api/v1/auth/accept`` and ``GET /api/v1/auth/me``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from stelly_core.openapi import (
    STAFF_PROBLEMS,
    STAFF_SECURITY,
    TENANT_PROBLEMS,
    VALIDATION_PROBLEMS,
    problem_responses,
)
from stelly_tenancy.middleware import client_ip, current_tenant
from stelly_tenancy.staff import ANY_STAFF, current_staff, staff_guard

from stelly_menu.domain.auth import services
from stelly_menu.domain.auth.schemas import TokenRequest, TokenResponse
from stelly_menu.domain.staff import services as accounts
from stelly_menu.domain.staff.schemas import AcceptRequest, Me
from stelly_menu.runtime import runtime_of

__all__ = ["AuthController"]


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["staff"]

    @post(
        "/token",
        status_code=200,
        responses=problem_responses(
            TENANT_PROBLEMS,
            VALIDATION_PROBLEMS,
            {401: ["invalid_credentials"], 429: ["too_many_attempts"]},
        ),
    )
    async def token(
        self, request: Request[Any, Any, Any], data: JSONBody[TokenRequest]
    ) -> TokenResponse:
        """Exchange a staff e-mail and password for a bearer token."""
        return await services.login(
            runtime_of(request),
            current_tenant(request),
            data.email,
            data.password,
            client_ip(request),
        )

    @post(
        "/accept",
        status_code=200,
        responses=problem_responses(
            TENANT_PROBLEMS,
            VALIDATION_PROBLEMS,
            {400: ["invalid_token"], 429: ["too_many_attempts"]},
        ),
    )
    async def accept(
        self, request: Request[Any, Any, Any], data: JSONBody[AcceptRequest]
    ) -> TokenResponse:
        """Use an invitation or password-reset link: choose a password, get a bearer token.

        The link works once; an expired, used, altered or other store's link is
        400 ``invalid_token``.
        """
        return await accounts.accept_ticket(
            runtime_of(request),
            current_tenant(request),
            data.token,
            data.password,
            client_ip(request),
        )

    @get(
        "/me",
        guards=[staff_guard(ANY_STAFF)],
        security=STAFF_SECURITY,
        responses=problem_responses(TENANT_PROBLEMS, STAFF_PROBLEMS),
    )
    async def me(self, request: Request[Any, Any, Any]) -> Me:
        """The signed-in staff user and their role."""
        staff = current_staff(request)
        return Me(id=staff.id, email=staff.email, role=staff.role)
