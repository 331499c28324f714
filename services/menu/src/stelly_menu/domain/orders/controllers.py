"""``/api/v1/store/orders`` (customers) and ``/api/v1/admin/orders`` (staff)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import JSONBody, Parameter, QueryParameter
from stelly_core.auth import verify_token
from stelly_core.errors import ProblemError
from stelly_core.openapi import STAFF_SECURITY, VALIDATION_PROBLEMS, IdempotencyKey
from stelly_tenancy.middleware import current_tenant
from stelly_tenancy.staff import ANY_STAFF, bearer_token, current_staff, staff_guard

from stelly_menu.domain.orders import history, services
from stelly_menu.domain.orders.schemas import (
    AdminOrderOut,
    CreatedOrder,
    OrderCreate,
    OrderHistoryPage,
    OrderOut,
    OrderPatch,
)
from stelly_menu.openapi import PATH_ID_PROBLEMS, public_responses, staff_responses
from stelly_menu.runtime import runtime_of
from stelly_menu.types import PathId

__all__ = ["AdminOrderController", "StoreOrderController"]

_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


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
        "/history",
        responses=staff_responses(
            VALIDATION_PROBLEMS,
            {422: ["invalid_cursor", "invalid_date_range"]},
        ),
    )
    async def order_history(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[
            str | None,
            Parameter(
                max_length=100,
                pattern=r"^[^\x00-\x1f\x7f]*$",
                description="An order number (digits: exact), else part of the customer's name.",
            ),
        ] = None,
        from_date: Annotated[
            str | None,
            QueryParameter(
                name="from",
                description="First local date (store's time zone), inclusive.",
                schema_extra={"pattern": _DATE, "format": "date"},
            ),
        ] = None,
        to_date: Annotated[
            str | None,
            QueryParameter(
                name="to",
                description="Last local date, inclusive; at most 366 days after `from`.",
                schema_extra={"pattern": _DATE, "format": "date"},
            ),
        ] = None,
        status: Annotated[
            str | None,
            Parameter(
                description="Statuses separated by commas; none: every status.",
                schema_extra={"pattern": services.STATUS_LIST},
            ),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Annotated[
            str | None,
            Parameter(
                max_length=200,
                pattern=r"^[A-Za-z0-9_-]*$",
                description="`next_cursor` of the previous page.",
            ),
        ] = None,
    ) -> OrderHistoryPage:
        """Every order, newest first, by pages; ``q``, ``from``/``to`` and ``status`` narrow."""
        dates = history.parse_range(from_date, to_date)
        statuses = services.parse_statuses(status)
        return await history.order_history(
            runtime_of(request),
            current_tenant(request),
            q=q,
            dates=dates,
            statuses=statuses,
            limit=limit,
            cursor=cursor,
        )

    @get(
        "/{order_id:int}",
        responses=staff_responses(PATH_ID_PROBLEMS, {404: ["order_not_found"]}),
    )
    async def get_order(self, request: Request[Any, Any, Any], order_id: PathId) -> AdminOrderOut:
        """The order with its status history (who set each status, when)."""
        return await services.get_admin_order(
            runtime_of(request), current_tenant(request), order_id
        )

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
            runtime_of(request),
            current_tenant(request),
            order_id,
            data.status,
            current_staff(request),
        )
