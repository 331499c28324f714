"""The order lifecycle (SPEC §3): which status may follow which."""

from __future__ import annotations

from typing import Literal

__all__ = ["STATUSES", "TRANSITIONS", "OrderStatus", "can_transition"]

OrderStatus = Literal["received", "accepted", "preparing", "ready", "completed", "cancelled"]
STATUSES: tuple[OrderStatus, ...] = (
    "received",
    "accepted",
    "preparing",
    "ready",
    "completed",
    "cancelled",
)
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"accepted", "cancelled"}),
    "accepted": frozenset({"preparing", "cancelled"}),
    "preparing": frozenset({"ready"}),
    "ready": frozenset({"completed"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}


def can_transition(current: str, new: str) -> bool:
    """Whether an order in ``current`` may move to ``new`` (staying put is not a move)."""
    return new in TRANSITIONS.get(current, frozenset())
