"""``/api/v1/store/orders`` (customers) and ``/api/v1/admin/orders`` (staff)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import JSONBody, Parameter
from stelly_core.auth import verify_token
from stelly_core.errors import ProblemError
from stelly_core.openapi import STAFF_SECURITY, VALIDATION_PROBLEMS, IdempotencyKey
from stelly_tenancy.middleware import current_tenant
from stelly_tenancy.staff import ANY_STAFF, bearer_token, staff_guard

from stelly_menu.domain.orders import services
from stelly_menu.domain.orders.schemas import CreatedOrder, OrderCreate, OrderOut, OrderPatch
from stelly_menu.openapi import PATH_ID_PROBLEMS, public_responses, staff_responses
from stelly_menu.runtime import runtime_of
from stelly_menu.types import PathId

__all__ = ["AdminOrderController", "StoreOrderController"]


class StoreOrderController(Controller):
    path = "/api/v1/store/orders"
    tags = ["storefront"]

    @post(
        "/",
        status_code=201,
        responses=public_responses(
            VALIDATION_PROBLEMS,
            {
                400: ["idempotency_key_required", "invalid_idempotency_key"],
                409: ["idempotency_key_reused"],
                422: [
                    "invalid_modifier",
                    "item_unavailable",
                    "modifier_choice_out_of_range",
                    "store_closed",
                    "table_required",
                    "unknown_item",
                ],
            },
        ),
    )
    async def place_order(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[OrderCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[CreatedOrder]:
        """Place an order; prices come from the menu. Same key and body: the same order."""
        key = services.check_idempotency_key(idempotency_key)
        order, replayed = await services.place_order(
            runtime_of(request), current_tenant(request), key, data
        )
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return Response(order, status_code=201, headers=headers)

    @get(
        "/{order_id:int}",
        security=STAFF_SECURITY,
        responses=public_responses(
            PATH_ID_PROBLEMS,
            {
                401: ["invalid_token", "not_authenticated"],
                403: ["token_wrong_order", "token_wrong_tenant"],
                404: ["order_not_found"],
            },
        ),
    )
    async def get_order(self, request: Request[Any, Any, Any], order_id: PathId) -> OrderOut:
        """The order and its status, for the holder of its order token (the bearer of ``token``)."""
        runtime = runtime_of(request)
        tenant = current_tenant(request)
        claims = verify_token(
            runtime.settings.secret_key, bearer_token(request), tenant_id=tenant.id, kind="order"
        )
        if claims.sub != str(order_id):
            raise ProblemError(403, "token_wrong_order", "this token is for another order")
        return await services.get_order(runtime, tenant, order_id)


class AdminOrderController(Controller):
    path = "/api/v1/admin/orders"
    tags = ["admin"]
    guards = [staff_guard(ANY_STAFF)]
    security = STAFF_SECURITY

    @get("/", responses=staff_responses(VALIDATION_PROBLEMS))
    async def list_orders(
        self,
        request: Request[Any, Any, Any],
        status: Annotated[
            str | None,
            Parameter(
                description="Statuses separated by commas; none: every status.",
                schema_extra={"pattern": services.STATUS_LIST},
            ),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[OrderOut]:
        """Newest first; ``?status=received,accepted`` narrows."""
        statuses = services.parse_statuses(status)
        return await services.list_orders(
            runtime_of(request), current_tenant(request), statuses, limit
        )

    @get(
        "/{order_id:int}",
        responses=staff_responses(PATH_ID_PROBLEMS, {404: ["order_not_found"]}),
    )
    async def get_order(self, request: Request[Any, Any, Any], order_id: PathId) -> OrderOut:
        return await services.get_order(runtime_of(request), current_tenant(request), order_id)

    @patch(
        "/{order_id:int}",
        responses=staff_responses(
            PATH_ID_PROBLEMS, {404: ["order_not_found"], 409: ["illegal_transition"]}
        ),
    )
    async def advance_order(
        self, request: Request[Any, Any, Any], order_id: PathId, data: JSONBody[OrderPatch]
    ) -> OrderOut:
        """Move the order along ``received → accepted → preparing → ready → completed``."""
        return await services.advance_order(
            runtime_of(request), current_tenant(request), order_id, data.status
        )
