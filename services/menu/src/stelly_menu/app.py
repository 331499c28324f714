"""The menu service's app factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Litestar
from stelly_core.contract import contract_hooks
from stelly_core.openapi import exact_struct_schemas, openapi_config
from stelly_core.settings import load_settings
from stelly_tenancy.plugin import TenancyPlugin

from stelly_menu.domain.auth.controllers import AuthController
from stelly_menu.domain.catalog.controllers import CategoryController, ItemController
from stelly_menu.domain.orders.controllers import AdminOrderController, StoreOrderController
from stelly_menu.domain.reports.controllers import ReportController
from stelly_menu.domain.staff.controllers import StaffAccountController
from stelly_menu.domain.store.controllers import AdminStoreController, StorefrontController
from stelly_menu.errors import database_exception_handlers
from stelly_menu.runtime import MenuPlugin, MenuRuntime

if TYPE_CHECKING:
    from stelly_core.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None, *, relay: bool = True) -> Litestar:
    """Build the menu service.

    Args:
        settings: the process settings; read from the environment when omitted.
        relay: run this process's outbox relay (tests may turn it off to
            relay by hand).

    Returns:
        The Litestar app; its connections open in the lifespan.
    """
    settings = settings or load_settings()
    tenancy = TenancyPlugin(settings)
    runtime = MenuRuntime(tenancy.context, relay=relay)
    app = Litestar(
        route_handlers=[
            StorefrontController,
            StoreOrderController,
            AuthController,
            AdminStoreController,
            CategoryController,
            ItemController,
            StaffAccountController,
            AdminOrderController,
            ReportController,
        ],
        plugins=[tenancy, MenuPlugin(runtime)],
        exception_handlers=database_exception_handlers(),
        openapi_config=openapi_config(
            "Stelly menu",
            "1.0.0",
            description="Storefront, staff and admin API of one store (the `Host` names the store).",
        ),
        **contract_hooks(),
    )
    exact_struct_schemas(app)
    return app
