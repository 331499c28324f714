"""Server-side pricing and the order lifecycle (plain functions)."""

from __future__ import annotations

import pytest
from stelly_menu.domain.orders.lifecycle import STATUSES, can_transition
from stelly_menu.domain.orders.pricing import (
    GroupRule,
    ItemRule,
    LineRequest,
    PricedOption,
    PricingError,
    price_lines,
)

SIZE = GroupRule(
    1, "Size", 1, 1, {10: PricedOption(10, "Regular", 0), 11: PricedOption(11, "Large", 300)}
)
EXTRAS = GroupRule(
    2,
    "Extras",
    0,
    2,
    {
        20: PricedOption(20, "Olives", 100),
        21: PricedOption(21, "Chili", 50),
        22: PricedOption(22, "Basil", 70),
    },
)
MENU = {
    1: ItemRule(1, "Margherita", 900, True, (SIZE, EXTRAS)),
    2: ItemRule(2, "Fries", 400, True),
    3: ItemRule(3, "Arancini", 700, False),
}


def test_prices_come_from_the_menu_with_modifiers_and_quantity() -> None:
    lines, total = price_lines(
        [LineRequest(1, 2, (11, 20, 21), "well done"), LineRequest(2, 3)], MENU
    )
    assert [line.unit_price for line in lines] == [900 + 300 + 100 + 50, 400]
    assert [line.total for line in lines] == [2 * 1350, 3 * 400]
    assert total == 2700 + 1200
    assert [o.name for o in lines[0].modifiers] == ["Large", "Olives", "Chili"]
    assert lines[0].name == "Margherita"
    assert lines[0].note == "well done"


@pytest.mark.parametrize(
    ("line", "code", "field"),
    [
        (LineRequest(99, 1), "unknown_item", "items[0].item_id"),
        (LineRequest(3, 1), "item_unavailable", "items[0].item_id"),
        (LineRequest(1, 1, (10, 99)), "invalid_modifier", "items[0].modifiers"),
        (LineRequest(2, 1, (10,)), "invalid_modifier", "items[0].modifiers"),
        (LineRequest(1, 1, (10, 10)), "invalid_modifier", "items[0].modifiers"),
        (LineRequest(1, 1), "modifier_choice_out_of_range", "items[0].modifiers"),
        (LineRequest(1, 1, (10, 11)), "modifier_choice_out_of_range", "items[0].modifiers"),
        (LineRequest(1, 1, (10, 20, 21, 22)), "modifier_choice_out_of_range", "items[0].modifiers"),
    ],
)
def test_lines_the_menu_cannot_honour(line: LineRequest, code: str, field: str) -> None:
    with pytest.raises(PricingError) as caught:
        price_lines([line], MENU)
    assert caught.value.code == code
    assert caught.value.field == field


def test_error_names_the_failing_line() -> None:
    with pytest.raises(PricingError) as caught:
        price_lines([LineRequest(2, 1), LineRequest(3, 1)], MENU)
    assert caught.value.field == "items[1].item_id"


def test_lifecycle_allows_exactly_the_spec_transitions() -> None:
    allowed = {
        ("received", "accepted"),
        ("accepted", "preparing"),
        ("preparing", "ready"),
        ("ready", "completed"),
        ("received", "cancelled"),
        ("accepted", "cancelled"),
    }
    for a in STATUSES:
        for b in STATUSES:
            assert can_transition(a, b) is ((a, b) in allowed), (a, b)
    assert not can_transition("bogus", "accepted")
