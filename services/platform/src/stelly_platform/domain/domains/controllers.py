"""``/api/v1/platform/tenants/{slug}/domains``: list, add, verify, remove."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter
from stelly_core.openapi import STAFF_SECURITY

from stelly_platform.domain.auth.guards import platform_admin_guard
from stelly_platform.domain.domains import services
from stelly_platform.domain.domains.schemas import DomainCreate, DomainOut
from stelly_platform.domain.tenants.controllers import SlugPath
from stelly_platform.openapi import admin_responses
from stelly_platform.runtime import runtime_of

__all__ = ["DomainController"]

#: a domain in a path, as the client wrote it (an unknown or malformed one is a 404)
DomainPath = Annotated[str, Parameter(max_length=253)]
_TENANT_404 = {404: ["tenant_not_found"]}
_DOMAIN_404 = {404: ["tenant_not_found", "domain_not_found"]}


class DomainController(Controller):
    path = "/api/v1/platform/tenants/{slug:str}/domains"
    tags = ["console domains"]
    guards = [platform_admin_guard]
    security = STAFF_SECURITY

    @get("/", responses=admin_responses(_TENANT_404))
    async def list_domains(
        self, request: Request[Any, Any, Any], slug: SlugPath
    ) -> list[DomainOut]:
        """The tenant's custom domains with the DNS records each needs."""
        return await services.list_domains(runtime_of(request), slug)

    @post(
        "/",
        responses={
            200: ResponseSpec(
                DomainOut, description="The tenant already had this domain", generate_examples=False
            ),
            **admin_responses(
                _TENANT_404,
                {409: ["domain_taken"], 422: ["invalid_domain", "domain_not_allowed"]},
            ),
        },
    )
    async def add_domain(
        self, request: Request[Any, Any, Any], slug: SlugPath, data: JSONBody[DomainCreate]
    ) -> Response[DomainOut]:
        """Add a custom domain: pending until its TXT record is verified."""
        out, created = await services.add(runtime_of(request), slug, data.domain)
        return Response(out, status_code=201 if created else 200)

    @post("/{domain:str}/verify", status_code=200, responses=admin_responses(_DOMAIN_404))
    async def verify_domain(
        self, request: Request[Any, Any, Any], slug: SlugPath, domain: DomainPath
    ) -> DomainOut:
        """Check the TXT record now; verified, the domain serves the tenant within seconds."""
        return await services.verify(runtime_of(request), slug, domain)

    @delete(
        "/{domain:str}",
        status_code=204,
        responses=admin_responses(_DOMAIN_404, {502: ["frontdoor_error"]}),
    )
    async def remove_domain(
        self, request: Request[Any, Any, Any], slug: SlugPath, domain: DomainPath
    ) -> None:
        """Remove the domain (and, in Azure, its Front Door custom domain); it stops serving."""
        await services.remove(runtime_of(request), slug, domain)
