"""``POST /api/v1/auth/token`` and ``GET|POST /api/v1/admin/users``."""

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
from stelly_tenancy.staff import OWNERS, staff_guard

from stelly_menu.domain.auth import services
from stelly_menu.domain.auth.schemas import TokenRequest, TokenResponse, UserCreate, UserOut
from stelly_menu.runtime import runtime_of

__all__ = ["AuthController", "UserController"]


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


class UserController(Controller):
    path = "/api/v1/admin/users"
    tags = ["admin"]

    guards = [staff_guard(OWNERS)]
    security = STAFF_SECURITY

    @get("/", responses=problem_responses(TENANT_PROBLEMS, STAFF_PROBLEMS))
    async def list_users(self, request: Request[Any, Any, Any]) -> list[UserOut]:
        """Every staff account (owner only)."""
        return await services.list_users(runtime_of(request), current_tenant(request))

    @post(
        "/",
        responses=problem_responses(
            TENANT_PROBLEMS, STAFF_PROBLEMS, VALIDATION_PROBLEMS, {409: ["email_taken"]}
        ),
    )
    async def create_user(
        self, request: Request[Any, Any, Any], data: JSONBody[UserCreate]
    ) -> UserOut:
        """Add a staff account (owner only)."""
        return await services.create_user(runtime_of(request), current_tenant(request), data)
