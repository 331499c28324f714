"""``/api/v1/admin/categories`` and ``/api/v1/admin/items``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from stelly_core.openapi import STAFF_SECURITY, VALIDATION_PROBLEMS
from stelly_tenancy.middleware import current_tenant
from stelly_tenancy.staff import ANY_STAFF, MENU_EDITORS, staff_guard

from stelly_menu.domain.catalog import services
from stelly_menu.domain.catalog.schemas import (
    CategoryCreate,
    CategoryOut,
    CategoryPatch,
    CategoryReorder,
    ItemCreate,
    ItemOut,
    ItemPatch,
    ItemReorder,
)
from stelly_menu.openapi import PATH_ID_PROBLEMS, staff_responses
from stelly_menu.runtime import runtime_of
from stelly_menu.types import MAX_ID, PathId

__all__ = ["CategoryController", "ItemController"]

#: an item names a category and maybe an image, which must exist (and be ready),
#: and its groups' min and max must fit their options
_ITEM_REFERENCE_PROBLEMS = {
    422: ["image_not_found", "image_not_ready", "invalid_modifier_group", "unknown_category"]
}


class CategoryController(Controller):
    path = "/api/v1/admin/categories"
    tags = ["admin"]
    security = STAFF_SECURITY

    @get("/", guards=[staff_guard(ANY_STAFF)], responses=staff_responses())
    async def list_categories(self, request: Request[Any, Any, Any]) -> list[CategoryOut]:
        """Every category with its number of items."""
        return await services.list_categories(runtime_of(request), current_tenant(request))

    @post("/", guards=[staff_guard(MENU_EDITORS)], responses=staff_responses(VALIDATION_PROBLEMS))
    async def create_category(
        self, request: Request[Any, Any, Any], data: JSONBody[CategoryCreate]
    ) -> CategoryOut:
        return await services.create_category(runtime_of(request), current_tenant(request), data)

    @post(
        "/reorder",
        status_code=200,
        guards=[staff_guard(MENU_EDITORS)],
        responses=staff_responses(VALIDATION_PROBLEMS, {409: ["reorder_mismatch"]}),
    )
    async def reorder_categories(
        self, request: Request[Any, Any, Any], data: JSONBody[CategoryReorder]
    ) -> list[CategoryOut]:
        """Put every category in this order; the list must be exactly the current categories."""
        return await services.reorder_categories(
            runtime_of(request), current_tenant(request), data.ids
        )

    @patch(
        "/{category_id:int}",
        guards=[staff_guard(MENU_EDITORS)],
        responses=staff_responses(PATH_ID_PROBLEMS, {404: ["category_not_found"]}),
    )
    async def update_category(
        self, request: Request[Any, Any, Any], category_id: PathId, data: JSONBody[CategoryPatch]
    ) -> CategoryOut:
        return await services.update_category(
            runtime_of(request), current_tenant(request), category_id, data
        )

    @delete(
        "/{category_id:int}",
        guards=[staff_guard(MENU_EDITORS)],
        responses=staff_responses(
            PATH_ID_PROBLEMS, {404: ["category_not_found"], 409: ["category_not_empty"]}
        ),
    )
    async def delete_category(self, request: Request[Any, Any, Any], category_id: PathId) -> None:
        """Delete an empty category (409 ``category_not_empty`` otherwise)."""
        await services.delete_category(runtime_of(request), current_tenant(request), category_id)


class ItemController(Controller):
    path = "/api/v1/admin/items"
    tags = ["admin"]
    security = STAFF_SECURITY

    @get("/", guards=[staff_guard(ANY_STAFF)], responses=staff_responses(VALIDATION_PROBLEMS))
    async def list_items(
        self,
        request: Request[Any, Any, Any],
        category_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
    ) -> list[ItemOut]:
        """Every item (``?category_id=`` narrows), unavailable ones included."""
        return await services.list_items(runtime_of(request), current_tenant(request), category_id)

    @get(
        "/{item_id:int}",
        guards=[staff_guard(ANY_STAFF)],
        responses=staff_responses(PATH_ID_PROBLEMS, {404: ["item_not_found"]}),
    )
    async def get_item(self, request: Request[Any, Any, Any], item_id: PathId) -> ItemOut:
        return await services.get_item(runtime_of(request), current_tenant(request), item_id)

    @post(
        "/",
        guards=[staff_guard(MENU_EDITORS)],
        responses=staff_responses(VALIDATION_PROBLEMS, _ITEM_REFERENCE_PROBLEMS),
    )
    async def create_item(
        self, request: Request[Any, Any, Any], data: JSONBody[ItemCreate]
    ) -> ItemOut:
        return await services.create_item(runtime_of(request), current_tenant(request), data)

    @post(
        "/reorder",
        status_code=200,
        guards=[staff_guard(MENU_EDITORS)],
        responses=staff_responses(
            VALIDATION_PROBLEMS, {404: ["category_not_found"], 409: ["reorder_mismatch"]}
        ),
    )
    async def reorder_items(
        self, request: Request[Any, Any, Any], data: JSONBody[ItemReorder]
    ) -> list[ItemOut]:
        """Put a category's items in this order; the list must be exactly its current items."""
        return await services.reorder_items(
            runtime_of(request), current_tenant(request), data.category_id, data.ids
        )

    @patch(
        "/{item_id:int}",
        guards=[staff_guard(ANY_STAFF)],
        responses=staff_responses(
            PATH_ID_PROBLEMS, _ITEM_REFERENCE_PROBLEMS, {404: ["item_not_found"]}
        ),
    )
    async def update_item(
        self, request: Request[Any, Any, Any], item_id: PathId, data: JSONBody[ItemPatch]
    ) -> ItemOut:
        """Partial update; staff may change ``available`` only."""
        staff = request.scope["state"]["staff"]
        return await services.update_item(
            runtime_of(request), current_tenant(request), item_id, data, role=staff.role
        )

    @delete(
        "/{item_id:int}",
        guards=[staff_guard(MENU_EDITORS)],
        responses=staff_responses(PATH_ID_PROBLEMS, {404: ["item_not_found"]}),
    )
    async def delete_item(self, request: Request[Any, Any, Any], item_id: PathId) -> None:
        await services.delete_item(runtime_of(request), current_tenant(request), item_id)
