"""``/api/v1/admin/categories`` and ``/api/v1/admin/items``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from stelly_tenancy.middleware import current_tenant
from stelly_tenancy.staff import ANY_STAFF, MENU_EDITORS, staff_guard

from stelly_menu.domain.catalog import services
from stelly_menu.domain.catalog.schemas import (
    CategoryCreate,
    CategoryOut,
    CategoryPatch,
    ItemCreate,
    ItemOut,
    ItemPatch,
)
from stelly_menu.runtime import runtime_of
from stelly_menu.types import MAX_ID

__all__ = ["CategoryController", "ItemController"]

PathId = Annotated[int, Parameter(ge=1, le=MAX_ID)]


class CategoryController(Controller):
    path = "/api/v1/admin/categories"
    tags = ["admin"]

    @get("/", guards=[staff_guard(ANY_STAFF)])
    async def list_categories(self, request: Request[Any, Any, Any]) -> list[CategoryOut]:
        """Every category with its number of items."""
        return await services.list_categories(runtime_of(request), current_tenant(request))

    @post("/", guards=[staff_guard(MENU_EDITORS)])
    async def create_category(
        self, request: Request[Any, Any, Any], data: JSONBody[CategoryCreate]
    ) -> CategoryOut:
        return await services.create_category(runtime_of(request), current_tenant(request), data)

    @patch("/{category_id:int}", guards=[staff_guard(MENU_EDITORS)])
    async def update_category(
        self, request: Request[Any, Any, Any], category_id: PathId, data: JSONBody[CategoryPatch]
    ) -> CategoryOut:
        return await services.update_category(
            runtime_of(request), current_tenant(request), category_id, data
        )

    @delete("/{category_id:int}", guards=[staff_guard(MENU_EDITORS)])
    async def delete_category(self, request: Request[Any, Any, Any], category_id: PathId) -> None:
        """Delete an empty category (409 ``category_not_empty`` otherwise)."""
        await services.delete_category(runtime_of(request), current_tenant(request), category_id)


class ItemController(Controller):
    path = "/api/v1/admin/items"
    tags = ["admin"]

    @get("/", guards=[staff_guard(ANY_STAFF)])
    async def list_items(
        self,
        request: Request[Any, Any, Any],
        category_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
    ) -> list[ItemOut]:
        """Every item (``?category_id=`` narrows), unavailable ones included."""
        return await services.list_items(runtime_of(request), current_tenant(request), category_id)

    @get("/{item_id:int}", guards=[staff_guard(ANY_STAFF)])
    async def get_item(self, request: Request[Any, Any, Any], item_id: PathId) -> ItemOut:
        return await services.get_item(runtime_of(request), current_tenant(request), item_id)

    @post("/", guards=[staff_guard(MENU_EDITORS)])
    async def create_item(
        self, request: Request[Any, Any, Any], data: JSONBody[ItemCreate]
    ) -> ItemOut:
        return await services.create_item(runtime_of(request), current_tenant(request), data)

    @patch("/{item_id:int}", guards=[staff_guard(ANY_STAFF)])
    async def update_item(
        self, request: Request[Any, Any, Any], item_id: PathId, data: JSONBody[ItemPatch]
    ) -> ItemOut:
        """Partial update; staff may change ``available`` only."""
        staff = request.scope["state"]["staff"]
        return await services.update_item(
            runtime_of(request), current_tenant(request), item_id, data, role=staff.role
        )

    @delete("/{item_id:int}", guards=[staff_guard(MENU_EDITORS)])
    async def delete_item(self, request: Request[Any, Any, Any], item_id: PathId) -> None:
        await services.delete_item(runtime_of(request), current_tenant(request), item_id)
