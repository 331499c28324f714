"""Sales figures of one store over local dates, aggregated by PostgreSQL.

Every figure is computed in SQL over the orders created within the range,
whose bounds are the store's local midnights (``::timestamp AT TIME ZONE
tz``); local hours and dates are ``created_at AT TIME ZONE tz``. Python only
shapes the rows PostgreSQL returns. Revenue and order counts leave cancelled
orders out (they are counted apart); top items come from the order lines of
the counted orders, by quantity then revenue.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from stelly_menu.domain.orders.history import parse_range
from stelly_menu.domain.reports.schemas import (
    Cancelled,
    DayFigures,
    HourFigures,
    Summary,
    TopItem,
)
from stelly_menu.domain.store.hours import business_date

if TYPE_CHECKING:
    import asyncpg
    from stelly_core.db import DbConnection
    from stelly_tenancy.models import Tenant

    from stelly_menu.runtime import MenuRuntime

__all__ = [
    "TOP_ITEMS",
    "hour_rows",
    "item_rows",
    "order_rows",
    "report_range",
    "summary",
]

TOP_ITEMS = 10
#: the orders of the range, with their local time: $1 time zone, $2 first date, $3 last date
_IN_RANGE = (
    "WITH o AS (SELECT id, number, business_date, status, fulfillment, customer_name, total,"
    " currency, created_at AT TIME ZONE $1 AS local FROM orders"
    " WHERE created_at >= ($2::date::timestamp AT TIME ZONE $1)"
    " AND created_at < (($3::date + 1)::timestamp AT TIME ZONE $1)) "
)
_TOTALS = _IN_RANGE + (  # noqa: S608 - fixed SQL fragments, values are parameters
    "SELECT count(*) FILTER (WHERE status <> 'cancelled') AS orders,"
    " coalesce(sum(total) FILTER (WHERE status <> 'cancelled'), 0)::bigint AS revenue,"
    " coalesce(round(avg(total) FILTER (WHERE status <> 'cancelled')), 0)::bigint AS average,"
    " count(*) FILTER (WHERE status = 'cancelled') AS cancelled_orders,"
    " coalesce(sum(total) FILTER (WHERE status = 'cancelled'), 0)::bigint AS cancelled_amount"
    " FROM o"
)
_BY_HOUR = _IN_RANGE + (  # noqa: S608 - fixed SQL fragments, values are parameters
    "SELECT h.hour, count(o.id) AS orders, coalesce(sum(o.total), 0)::bigint AS revenue"
    " FROM generate_series(0, 23) AS h(hour)"
    " LEFT JOIN o ON extract(hour FROM o.local) = h.hour AND o.status <> 'cancelled'"
    " GROUP BY h.hour ORDER BY h.hour"
)
_BY_DAY = _IN_RANGE + (  # noqa: S608 - fixed SQL fragments, values are parameters
    "SELECT d.day::date AS date, count(o.id) AS orders, coalesce(sum(o.total), 0)::bigint AS revenue"
    " FROM generate_series($2::date, $3::date, interval '1 day') AS d(day)"
    " LEFT JOIN o ON o.local::date = d.day::date AND o.status <> 'cancelled'"
    " GROUP BY d.day ORDER BY d.day"
)
#: $4: how many (NULL: all)
_TOP_ITEMS = _IN_RANGE + (  # noqa: S608 - fixed SQL fragments, values are parameters
    "SELECT l.item_id, (array_agg(l.name ORDER BY o.local DESC, l.id DESC))[1] AS name,"
    " sum(l.quantity)::bigint AS quantity, sum(l.line_total)::bigint AS revenue"
    " FROM order_lines l JOIN o ON o.id = l.order_id WHERE o.status <> 'cancelled'"
    " GROUP BY l.item_id ORDER BY quantity DESC, revenue DESC, l.item_id LIMIT $4"
)
_ORDERS = _IN_RANGE + (  # noqa: S608 - fixed SQL fragments, values are parameters
    "SELECT id, number, business_date, to_char(local, 'YYYY-MM-DD HH24:MI:SS') AS local_time,"
    " status, fulfillment, customer_name, total, currency FROM o ORDER BY local, id"
)


def report_range(tenant: Tenant, start: str | None, end: str | None) -> tuple[date, date]:
    """The report's local dates, inclusive: today by default; ``from`` alone runs to
    today, ``to`` alone is that one day.

    Raises:
        ProblemError: 422 ``invalid_date_range`` naming ``from`` or ``to``.
    """
    first, last = parse_range(start, end)
    today = business_date(tenant.timezone, datetime.now(UTC))
    if first is None:
        first = last or today
    if last is None:
        last = max(first, today)
        parse_range(first.isoformat(), last.isoformat())  # still within the longest range
    return first, last


async def summary(runtime: MenuRuntime, tenant: Tenant, first: date, last: date) -> Summary:
    """Every figure of the summary, each from one aggregate query, in one transaction."""
    args = (tenant.timezone, first, last)
    async with runtime.db.tenant(tenant.schema) as conn:
        totals = await conn.fetchrow(_TOTALS, *args)
        hours = await conn.fetch(_BY_HOUR, *args)
        days = await conn.fetch(_BY_DAY, *args)
        top = await conn.fetch(_TOP_ITEMS, *args, TOP_ITEMS)
    assert totals is not None
    return Summary(
        from_=first,
        to=last,
        timezone=tenant.timezone,
        currency=tenant.currency,
        orders=totals["orders"],
        revenue=totals["revenue"],
        average_ticket=totals["average"],
        cancelled=Cancelled(orders=totals["cancelled_orders"], amount=totals["cancelled_amount"]),
        by_hour=[
            HourFigures(hour=r["hour"], orders=r["orders"], revenue=r["revenue"]) for r in hours
        ],
        by_day=[DayFigures(date=r["date"], orders=r["orders"], revenue=r["revenue"]) for r in days],
        top_items=[TopItem(**dict(r)) for r in top],
    )


async def _fetch(
    runtime: MenuRuntime, tenant: Tenant, sql: str, first: date, last: date, *extra: object
) -> list[asyncpg.Record]:
    conn: DbConnection
    async with runtime.db.tenant(tenant.schema) as conn:
        return list(await conn.fetch(sql, tenant.timezone, first, last, *extra))


async def order_rows(
    runtime: MenuRuntime, tenant: Tenant, first: date, last: date
) -> list[asyncpg.Record]:
    """Every order of the range (cancelled ones too), oldest first, with its local time."""
    return await _fetch(runtime, tenant, _ORDERS, first, last)


async def hour_rows(
    runtime: MenuRuntime, tenant: Tenant, first: date, last: date
) -> list[asyncpg.Record]:
    """The 24 local hours with their orders and revenue."""
    return await _fetch(runtime, tenant, _BY_HOUR, first, last)


async def item_rows(
    runtime: MenuRuntime, tenant: Tenant, first: date, last: date
) -> list[asyncpg.Record]:
    """Every item sold, by quantity then revenue."""
    return await _fetch(runtime, tenant, _TOP_ITEMS, first, last, None)
