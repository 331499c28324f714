"""``POST /api/v1/platform/auth/token``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import JSONBody

from stelly_platform.console import console_client_ip
from stelly_platform.domain.auth import services
from stelly_platform.domain.auth.schemas import TokenRequest, TokenResponse
from stelly_platform.openapi import console_responses
from stelly_platform.runtime import runtime_of

__all__ = ["AuthController"]


class AuthController(Controller):
    path = "/api/v1/platform/auth"
    tags = ["console auth"]

    @post(
        "/token",
        status_code=200,
        responses=console_responses({401: ["invalid_credentials"], 429: ["too_many_attempts"]}),
    )
    async def token(
        self, request: Request[Any, Any, Any], data: JSONBody[TokenRequest]
    ) -> TokenResponse:
        """Exchange a platform admin's e-mail and password for a console token."""
        return await services.login(
            runtime_of(request), data.email, data.password, console_client_ip(request)
        )
