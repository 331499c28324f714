"""``/api/v1/admin/reports``: the sales summary and its CSV exports (owners and managers)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from stelly_core.openapi import STAFF_SECURITY, VALIDATION_PROBLEMS
from stelly_tenancy.middleware import current_tenant
from stelly_tenancy.staff import MENU_EDITORS, staff_guard

from stelly_menu.domain.reports import export, services
from stelly_menu.domain.reports.schemas import ExportKind, Summary
from stelly_menu.openapi import staff_responses
from stelly_menu.runtime import runtime_of

__all__ = ["ReportController"]

#: Litestar adds ``; charset=utf-8`` to every ``text/*`` response
CSV = "text/csv"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_RANGE_PROBLEMS = {422: ["invalid_date_range"]}
FromDate = Annotated[
    str | None,
    QueryParameter(
        name="from",
        description="First local date (store's time zone), inclusive; default: today.",
        schema_extra={"pattern": _DATE, "format": "date"},
    ),
]
ToDate = Annotated[
    str | None,
    QueryParameter(
        name="to",
        description="Last local date, inclusive; at most 366 days after `from`.",
        schema_extra={"pattern": _DATE, "format": "date"},
    ),
]


class ReportController(Controller):
    path = "/api/v1/admin/reports"
    tags = ["admin"]
    guards = [staff_guard(MENU_EDITORS)]
    security = STAFF_SECURITY

    @get("/summary", responses=staff_responses(VALIDATION_PROBLEMS, _RANGE_PROBLEMS))
    async def summary(
        self, request: Request[Any, Any, Any], from_date: FromDate = None, to_date: ToDate = None
    ) -> Summary:
        """Orders, revenue, average ticket, cancellations, by hour, by day and top items."""
        tenant = current_tenant(request)
        first, last = services.report_range(tenant, from_date, to_date)
        return await services.summary(runtime_of(request), tenant, first, last)

    @get(
        "/export",
        media_type=CSV,
        responses={
            200: ResponseSpec(
                str,
                description="CSV with a header row (`Content-Disposition: attachment`).",
                media_type=CSV,
                generate_examples=False,
            ),
            **staff_responses(VALIDATION_PROBLEMS, _RANGE_PROBLEMS),
        },
    )
    async def export_csv(
        self,
        request: Request[Any, Any, Any],
        kind: Annotated[ExportKind, QueryParameter(description="What the rows are.")],
        from_date: FromDate = None,
        to_date: ToDate = None,
    ) -> Response[str]:
        """``orders``: one row per order (local time); ``hours``: by hour; ``items``: every item sold."""
        runtime = runtime_of(request)
        tenant = current_tenant(request)
        first, last = services.report_range(tenant, from_date, to_date)
        loaders = {
            "orders": services.order_rows,
            "hours": services.hour_rows,
            "items": services.item_rows,
        }
        rows = await loaders[kind](runtime, tenant, first, last)
        filename = export.csv_filename(kind, tenant.slug, first, last)
        return Response(
            export.to_csv(export.COLUMNS[kind], rows),
            media_type=CSV,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
