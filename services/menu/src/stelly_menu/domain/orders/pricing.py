"""Pricing an order on the server: plain functions over the menu as stored.

The client names items, quantities and modifier options; prices, names,
availability and each modifier group's min/max come from the menu only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "GroupRule",
    "ItemRule",
    "LineRequest",
    "PricedLine",
    "PricedOption",
    "PricingError",
    "price_lines",
]


class PricingError(ValueError):
    """A line the menu cannot honour; ``field`` points into the request body."""

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass(frozen=True, slots=True)
class PricedOption:
    id: int
    name: str
    price: int


@dataclass(frozen=True, slots=True)
class GroupRule:
    id: int
    name: str
    min: int
    max: int
    options: Mapping[int, PricedOption]


@dataclass(frozen=True, slots=True)
class ItemRule:
    id: int
    name: str
    price: int
    available: bool
    groups: Sequence[GroupRule] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class LineRequest:
    item_id: int
    quantity: int
    modifiers: Sequence[int] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PricedLine:
    item_id: int
    name: str
    unit_price: int
    quantity: int
    modifiers: tuple[PricedOption, ...]
    note: str | None

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


def _price_line(index: int, line: LineRequest, item: ItemRule | None) -> PricedLine:
    where = f"items[{index}]"
    if item is None:
        raise PricingError(
            "unknown_item", f"no item {line.item_id} on the menu", where + ".item_id"
        )
    if not item.available:
        raise PricingError("item_unavailable", f"{item.name} is not available", where + ".item_id")
    if len(set(line.modifiers)) != len(line.modifiers):
        raise PricingError("invalid_modifier", "an option is chosen twice", where + ".modifiers")
    owner = {opt_id: group for group in item.groups for opt_id in group.options}
    chosen: list[PricedOption] = []
    counts = {group.id: 0 for group in item.groups}
    for option_id in line.modifiers:
        group = owner.get(option_id)
        if group is None:
            raise PricingError(
                "invalid_modifier",
                f"option {option_id} is not a modifier of {item.name}",
                where + ".modifiers",
            )
        counts[group.id] += 1
        chosen.append(group.options[option_id])
    for group in item.groups:
        if not group.min <= counts[group.id] <= group.max:
            raise PricingError(
                "modifier_choice_out_of_range",
                f"{item.name}: choose {group.min} to {group.max} of {group.name}",
                where + ".modifiers",
            )
    unit = item.price + sum(option.price for option in chosen)
    return PricedLine(item.id, item.name, unit, line.quantity, tuple(chosen), line.note)


def price_lines(
    lines: Sequence[LineRequest], menu: Mapping[int, ItemRule]
) -> tuple[list[PricedLine], int]:
    """Price every line against the menu.

    Args:
        lines: what the customer asked for.
        menu: the items named by the lines, by id (missing ones are unknown).

    Returns:
        The priced lines and the order total, in minor units.

    Raises:
        PricingError: for the first line the menu cannot honour.
    """
    priced = [_price_line(i, line, menu.get(line.item_id)) for i, line in enumerate(lines)]
    return priced, sum(line.total for line in priced)
