"""The storefront (``/api/v1/store``, ``/api/v1/store/menu``) and ``/api/v1/admin/store``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from litestar import Controller, Request, get, patch
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.types import ASGIApp, Receive, Scope, Send
from stelly_core.asgi import first_headers
from stelly_core.openapi import STAFF_SECURITY, VALIDATION_PROBLEMS
from stelly_tenancy.middleware import current_tenant, tenant_host
from stelly_tenancy.staff import MENU_EDITORS, staff_guard

from stelly_menu.domain.menu.cache import etag_matches
from stelly_menu.domain.menu.schemas import Menu
from stelly_menu.domain.menu.services import published_menu
from stelly_menu.domain.store import services
from stelly_menu.domain.store.schemas import AdminStore, AdminStorePatch, StoreOut
from stelly_menu.openapi import public_responses, staff_responses
from stelly_menu.runtime import runtime_of

if TYPE_CHECKING:
    from stelly_tenancy.models import Tenant

    from stelly_menu.runtime import MenuRuntime

__all__ = ["AdminStoreController", "StorefrontController", "realtime_url"]


def realtime_url(request: Request[Any, Any, Any]) -> str:
    """The WebSocket URL for this store.

    ``STELLY_REALTIME_PUBLIC_URL`` (a template with ``{host}`` and ``{slug}``)
    when set, so that it can name a host that bypasses Front Door; else the
    resolved tenant host with the scheme the client used. Never a raw header.
    """
    host = tenant_host(request)
    template = runtime_of(request).settings.realtime_public_url
    if template:
        return template.replace("{host}", host).replace("{slug}", current_tenant(request).slug)
    proto = (
        request.headers.get("x-forwarded-proto") or request.scope.get("scheme") or "http"
    ).lower()
    return f"{'wss' if proto in ('https', 'wss') else 'ws'}://{host}/ws/v1"


class StorefrontController(Controller):
    path = "/api/v1/store"
    tags = ["storefront"]

    @get("/", responses=public_responses())
    async def store(self, request: Request[Any, Any, Any]) -> StoreOut:
        """The store, whether it takes orders now (and its hours), and where its live updates are."""
        runtime = runtime_of(request)
        tenant = current_tenant(request)
        async with runtime.db.tenant(tenant.schema) as conn:
            schedule = await services.load_schedule(conn)
        now = datetime.now(UTC)
        return StoreOut(
            slug=tenant.slug,
            name=tenant.name,
            currency=tenant.currency,
            timezone=tenant.timezone,
            is_open=schedule.is_open(tenant.timezone, now),
            realtime_url=realtime_url(request),
            opening_hours=schedule.hours,
            hours_exceptions=schedule.upcoming(tenant.timezone, now),
            closed_now=schedule.closed_now,
            next_change_at=schedule.next_change_at(tenant.timezone, now),
        )

    @get(
        "/menu",
        responses={
            200: ResponseSpec(
                Menu,
                description="The menu, with `ETag` and `Cache-Control`",
                generate_examples=False,
            ),
            304: ResponseSpec(None, description="Unchanged since the `If-None-Match` ETag"),
            **public_responses(),
        },
    )
    async def menu(self) -> ASGIApp:
        """The published menu, pre-encoded; ``If-None-Match`` answers 304.

        The hottest route: it answers with the cached bytes and headers built
        once per Redis read (:meth:`CachedMenu.send`), skipping Litestar's
        response encoding; and it takes no parameters, so Litestar builds and
        validates no keyword arguments for it. The work happens in the ASGI
        app it returns, inside the same exception handling.
        """
        return _send_menu


async def _send_menu(scope: Scope, receive: Receive, send: Send) -> None:
    """The menu route's answer as an ASGI app (see :meth:`StorefrontController.menu`)."""
    runtime: MenuRuntime = scope["litestar_app"].state["menu"]
    tenant: Tenant = scope["state"]["tenant"]  # the tenancy middleware's (current_tenant)
    cached = await published_menu(
        runtime.db, runtime.cache, tenant, runtime.settings.assets_base_url
    )
    [if_none_match] = first_headers(scope, b"if-none-match")
    await cached.send(send, not_modified=etag_matches(if_none_match, cached.etag))


class AdminStoreController(Controller):
    path = "/api/v1/admin/store"
    tags = ["admin"]
    guards = [staff_guard(MENU_EDITORS)]
    security = STAFF_SECURITY

    @get("/", responses=staff_responses())
    async def get_store(self, request: Request[Any, Any, Any]) -> AdminStore:
        """Name, currency, time zone, weekly opening hours, exceptions and the closed-now switch."""
        return await services.admin_store(runtime_of(request), current_tenant(request))

    @patch(
        "/",
        responses=staff_responses(VALIDATION_PROBLEMS, {422: ["invalid_hours_exception"]}),
    )
    async def patch_store(
        self, request: Request[Any, Any, Any], data: JSONBody[AdminStorePatch]
    ) -> AdminStore:
        """Change any of them; fields left out stay as they are; ``hours_exceptions`` replaces the list.

        Publishes ``store.updated`` on the ``menu`` channel.
        """
        return await services.update_store(runtime_of(request), current_tenant(request), data)
