"""Order wire types (SPEC §3 Storefront and Staff)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from stelly_menu.domain.menu.schemas import MenuOption
from stelly_menu.domain.orders.lifecycle import OrderStatus
from stelly_menu.types import Id, Name, Note, Phone, Quantity

__all__ = [
    "CreatedOrder",
    "Customer",
    "OrderCreate",
    "OrderLineIn",
    "OrderLineOut",
    "OrderOut",
    "OrderPatch",
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
