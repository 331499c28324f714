"""``/api/v1/platform/tenants``: list with usage, create, suspend, resume."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, Parameter
from stelly_core.openapi import STAFF_SECURITY
from stelly_tenancy.models import TenantStatus

from stelly_platform.domain.auth.guards import platform_admin_guard
from stelly_platform.domain.tenants import services
from stelly_platform.domain.tenants.schemas import TenantCreate, TenantOut, TenantPage
from stelly_platform.openapi import admin_responses
from stelly_platform.runtime import runtime_of

__all__ = ["SlugPath", "TenantController"]

#: a tenant's slug in a path (an unknown one is a 404, whatever its shape)
SlugPath = Annotated[str, Parameter(max_length=64)]


class TenantController(Controller):
    path = "/api/v1/platform/tenants"
    tags = ["console tenants"]
    guards = [platform_admin_guard]
    security = STAFF_SECURITY

    @get("/", responses=admin_responses())
    async def list_tenants(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
        cursor: Annotated[
            str | None,
            Parameter(
                pattern=r"^[0-9]{1,18}$",
                description="`next_cursor` of the previous page",
            ),
        ] = None,
    ) -> TenantPage:
        """Tenants oldest first, with orders in the last 7 days, images and the last order."""
        return await services.list_page(runtime_of(request), limit, cursor)

    @post(
        "/",
        responses=admin_responses(
            {409: ["tenant_exists"], 422: ["invalid_slug", "invalid_tenant"]}
        ),
    )
    async def create_tenant(
        self, request: Request[Any, Any, Any], data: JSONBody[TenantCreate]
    ) -> TenantOut:
        """Provision a tenant (and its owner), as `stelly tenant create` does."""
        return await services.create(runtime_of(request), data)

    @post(
        "/{slug:str}/suspend",
        status_code=200,
        responses=admin_responses({404: ["tenant_not_found"]}),
    )
    async def suspend(self, request: Request[Any, Any, Any], slug: SlugPath) -> TenantOut:
        """Suspend a tenant: its hosts answer 403 `tenant_suspended` within seconds."""
        return await services.set_status(runtime_of(request), slug, TenantStatus.SUSPENDED)

    @post(
        "/{slug:str}/resume",
        status_code=200,
        responses=admin_responses({404: ["tenant_not_found"]}),
    )
    async def resume(self, request: Request[Any, Any, Any], slug: SlugPath) -> TenantOut:
        """Resume a suspended tenant."""
        return await services.set_status(runtime_of(request), slug, TenantStatus.ACTIVE)
