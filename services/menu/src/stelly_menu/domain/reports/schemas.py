"""Wire types of the sales reports (owners and managers)."""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec

__all__ = ["Cancelled", "DayFigures", "ExportKind", "HourFigures", "Summary", "TopItem"]

ExportKind = Literal["orders", "hours", "items"]


class Cancelled(msgspec.Struct, frozen=True):
    orders: int
    #: the totals of the cancelled orders, minor units
    amount: int


class HourFigures(msgspec.Struct, frozen=True):
    #: the local hour, 0-23
    hour: int
    orders: int
    revenue: int


class DayFigures(msgspec.Struct, frozen=True):
    date: date
    orders: int
    revenue: int


class TopItem(msgspec.Struct, frozen=True):
    item_id: int
    #: the name on its most recent order line
    name: str
    quantity: int
    revenue: int


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    """Figures of the orders created from ``from`` to ``to`` (local dates, inclusive).

    Cancelled orders count only under ``cancelled``; money is in minor units.
    """

    from_: date = msgspec.field(name="from")
    to: date
    timezone: str
    currency: str
    orders: int
    revenue: int
    #: ``round(revenue / orders)``, 0 without orders
    average_ticket: int
    cancelled: Cancelled
    #: always 24 rows, hour 0 to 23
    by_hour: list[HourFigures]
    #: one row per local date of the range
    by_day: list[DayFigures]
    #: up to 10, by quantity then revenue
    top_items: list[TopItem]
