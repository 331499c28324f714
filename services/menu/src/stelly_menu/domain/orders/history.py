"""Order history for staff: search by number or customer, local date ranges, keyset pages.

Pages are newest first by ``(created_at, id)``; the cursor is that pair of the
last row, opaque to clients (base64url of ``<ISO instant>|<id>``), so a page
never repeats or skips an order when new ones arrive. Date bounds are the
store's local dates, turned into UTC instants by PostgreSQL (``AT TIME
ZONE``), so the ``orders_created_at_id`` index serves them. Each order's
status changes come from ``order_status_events``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from stelly_core.errors import ProblemError

from stelly_menu.domain.orders.schemas import (
    HistoryOrder,
    OrderHistoryPage,
    StatusActor,
    StatusChange,
)
from stelly_menu.errors import field_problem

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stelly_core.db import DbConnection
    from stelly_tenancy.models import Tenant

    from stelly_menu.runtime import MenuRuntime

__all__ = [
    "MAX_RANGE_DAYS",
    "DateRange",
    "decode_cursor",
    "encode_cursor",
    "like_pattern",
    "order_history",
    "parse_range",
    "status_history",
]

#: the longest date range a history or report query may span (inclusive days)
MAX_RANGE_DAYS = 366
DateRange = tuple[date | None, date | None]
_INVALID_CURSOR = ProblemError(
    422,
    "invalid_cursor",
    "cursor: not a cursor this API returned",
    extra={"errors": [{"field": "cursor", "message": "not a cursor this API returned"}]},
)


def _parse_date(field: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise field_problem(
            field, "not a date YYYY-MM-DD", status=422, code="invalid_date_range"
        ) from None


def parse_range(start: str | None, end: str | None) -> DateRange:
    """``from`` and ``to`` as local dates, inclusive, at most :data:`MAX_RANGE_DAYS` apart.

    Raises:
        ProblemError: 422 ``invalid_date_range`` naming ``from`` or ``to``.
    """
    first, last = _parse_date("from", start), _parse_date("to", end)
    if first is not None and last is not None:
        if last < first:
            raise field_problem("to", "is before from", status=422, code="invalid_date_range")
        if (last - first) >= timedelta(days=MAX_RANGE_DAYS):
            raise field_problem(
                "to",
                f"the range spans more than {MAX_RANGE_DAYS} days",
                status=422,
                code="invalid_date_range",
            )
    return first, last


def like_pattern(text: str) -> str:
    """A case-insensitive substring pattern for ``ILIKE ... ESCAPE '\\'`` matching ``text`` literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def encode_cursor(created_at: datetime, order_id: int) -> str:
    raw = f"{created_at.isoformat()}|{order_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The ``(created_at, id)`` a cursor names.

    Raises:
        ProblemError: 422 ``invalid_cursor`` (well-formed, but not one of ours).
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        instant, _, order_id = raw.partition("|")
        at = datetime.fromisoformat(instant)
        if at.tzinfo is None or not order_id.isdigit() or len(order_id) > 18:
            raise ValueError(raw)
        return at, int(order_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise _INVALID_CURSOR from None


async def order_history(
    runtime: MenuRuntime,
    tenant: Tenant,
    *,
    q: str | None,
    dates: DateRange,
    statuses: Sequence[str],
    limit: int,
    cursor: str | None,
) -> OrderHistoryPage:
    """One page of the store's orders, newest first, narrowed by the filters."""
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    text = (q or "").strip()
    if text.isdigit() and len(text) <= 9:
        where.append(f"number = {arg(int(text))}")
    elif text:
        where.append(f"customer_name ILIKE {arg(like_pattern(text))} ESCAPE '\\'")
    first, last = dates
    if first is not None:
        where.append(
            f"created_at >= ({arg(first)}::date::timestamp AT TIME ZONE {arg(tenant.timezone)})"
        )
    if last is not None:
        where.append(
            f"created_at < (({arg(last)}::date + 1)::timestamp AT TIME ZONE {arg(tenant.timezone)})"
        )
    if statuses:
        where.append(f"status = ANY({arg(list(statuses))}::text[])")
    if cursor:
        at, order_id = decode_cursor(cursor)
        where.append(f"(created_at, id) < ({arg(at)}, {arg(order_id)})")
    sql = (
        "SELECT id, number, business_date, status, customer_name, total, currency, created_at"  # noqa: S608 - fixed SQL fragments, values are parameters
        " FROM orders"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY created_at DESC, id DESC LIMIT {arg(limit + 1)}"
    )
    async with runtime.db.tenant(tenant.schema) as conn:
        rows = await conn.fetch(sql, *args)
    page = [HistoryOrder(**dict(r)) for r in rows[:limit]]
    more = len(rows) > limit
    return OrderHistoryPage(
        orders=page,
        next_cursor=encode_cursor(page[-1].created_at, page[-1].id) if more and page else None,
    )


async def status_history(conn: DbConnection, order_id: int) -> list[StatusChange]:
    """Every status the order took, oldest first."""
    rows = await conn.fetch(
        "SELECT status, at, by_user_id, by_email FROM order_status_events"
        " WHERE order_id = $1 ORDER BY at, id",
        order_id,
    )
    return [
        StatusChange(
            status=r["status"],
            at=r["at"],
            by=(
                StatusActor(id=r["by_user_id"], email=r["by_email"] or "")
                if r["by_user_id"] is not None
                else None
            ),
        )
        for r in rows
    ]
