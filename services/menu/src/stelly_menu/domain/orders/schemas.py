"""Order wire types (SPEC §3 Storefront and Staff)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from stelly_menu.domain.menu.schemas import MenuOption
from stelly_menu.domain.orders.lifecycle import OrderStatus
from stelly_menu.types import Id, Name, Note, Phone, Quantity

__all__ = [
    "AdminOrderOut",
    "CreatedOrder",
    "Customer",
    "HistoryOrder",
    "OrderCreate",
    "OrderHistoryPage",
    "OrderLineIn",
    "OrderLineOut",
    "OrderOut",
    "OrderPatch",
    "StatusActor",
    "StatusChange",
]

TableLabel = Annotated[str, Meta(min_length=1, max_length=20, pattern=r"^[^\x00-\x1f\x7f]+$")]


class OrderLineIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    item_id: Id
    quantity: Quantity = 1
    modifiers: Annotated[list[Id], Meta(max_length=50)] = msgspec.field(default_factory=list)
    note: Note | None = None


class Customer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    phone: Phone | None = None


class OrderCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    items: Annotated[list[OrderLineIn], Meta(min_length=1, max_length=100)]
    customer: Customer
    fulfillment: Literal["pickup", "dine_in"]
    table: TableLabel | None = None
    note: Note | None = None


class OrderLineOut(msgspec.Struct, frozen=True):
    item_id: int
    name: str
    quantity: int
    unit_price: int
    modifiers: list[MenuOption]
    note: str | None
    total: int


class OrderOut(msgspec.Struct, frozen=True):
    id: int
    number: int
    status: str
    fulfillment: str
    table: str | None
    customer: Customer
    note: str | None
    total: int
    currency: str
    items: list[OrderLineOut]
    created_at: datetime
    updated_at: datetime


class CreatedOrder(OrderOut, frozen=True):
    """``OrderOut`` plus the customer's order-scoped token."""

    token: str


class OrderPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    status: OrderStatus


class StatusActor(msgspec.Struct, frozen=True):
    """The staff user who set a status (their e-mail as it was then)."""

    id: int
    email: str


class StatusChange(msgspec.Struct, frozen=True):
    status: str
    at: datetime
    #: ``null``: not a staff user (``received``, when the customer placed it)
    by: StatusActor | None


class AdminOrderOut(OrderOut, frozen=True):
    """``OrderOut`` plus every status it took, oldest first (staff only)."""

    status_history: list[StatusChange]


class HistoryOrder(msgspec.Struct, frozen=True):
    id: int
    number: int
    #: the store's local date the order's number belongs to
    business_date: date
    status: str
    customer_name: str
    total: int
    currency: str
    created_at: datetime


class OrderHistoryPage(msgspec.Struct, frozen=True):
    """Newest first; pass ``next_cursor`` as ``cursor`` for the next page (``null``: no more)."""

    orders: list[HistoryOrder]
    next_cursor: str | None
