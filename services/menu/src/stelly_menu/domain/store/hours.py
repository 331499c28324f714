"""Weekly opening hours in the store's time zone: plain functions, no framework.

Hours are a mapping of day (``mon`` .. ``sun``) to intervals ``{open, close}``
in ``HH:MM``. A close at or before the open runs past midnight into the next
day; ``24:00`` closes at midnight. A day not listed is closed. No hours at all
(``None``) means open around the clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import msgspec

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "CLOSE_TIME",
    "DAYS",
    "OPEN_TIME",
    "Interval",
    "business_date",
    "is_open",
    "minutes",
    "validate_hours",
]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")
_DAY = 24 * 60


#: an opening time: ``00:00`` to ``23:59``
OPEN_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
#: a closing time: ``00:00`` to ``24:00``
CLOSE_TIME = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"


class Interval(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One opening interval of a day."""

    open: Annotated[str, msgspec.Meta(pattern=OPEN_TIME)]
    close: Annotated[str, msgspec.Meta(pattern=CLOSE_TIME)]


def minutes(hhmm: str) -> int:
    """Minutes since midnight of ``HH:MM`` (``24:00`` is 1440).

    Raises:
        ValueError: for anything else.
    """
    match = _HHMM.fullmatch(hhmm)
    if match is None:
        raise ValueError(f"{hhmm!r} is not a time HH:MM")
    value = int(match.group(1)) * 60 + int(match.group(2))
    if value > _DAY:
        raise ValueError(f"{hhmm!r} is past 24:00")
    return value


def validate_hours(hours: Mapping[Any, Sequence[Interval]]) -> None:
    """Check day names and times.

    Raises:
        ValueError: naming the first bad day or time as ``day[i].open``.
    """
    for day, intervals in hours.items():
        if day not in DAYS:
            raise ValueError(f"{day}: not one of {', '.join(DAYS)}")
        if len(intervals) > 6:
            raise ValueError(f"{day}: at most 6 intervals a day")
        for i, interval in enumerate(intervals):
            for name in ("open", "close"):
                try:
                    minutes(getattr(interval, name))
                except ValueError as exc:
                    raise ValueError(f"{day}[{i}].{name}: {exc}") from None
            if minutes(interval.open) == _DAY:
                raise ValueError(f"{day}[{i}].open: cannot open at 24:00")


def _spans(interval: Interval) -> tuple[int, int]:
    start, end = minutes(interval.open), minutes(interval.close)
    return start, end if end > start else end + _DAY


def is_open(hours: Mapping[str, Sequence[Interval]] | None, timezone: str, now: datetime) -> bool:
    """Whether the store takes orders at ``now`` (an aware datetime).

    Args:
        hours: the weekly hours, or ``None`` for always open.
        timezone: the store's IANA time zone.
        now: the instant to judge.
    """
    if hours is None:
        return True
    local = now.astimezone(ZoneInfo(timezone))
    minute = local.hour * 60 + local.minute
    today = DAYS[local.weekday()]
    yesterday = DAYS[(local.weekday() - 1) % 7]
    for interval in hours.get(today, ()):
        start, end = _spans(interval)
        if start <= minute < end:
            return True
    for interval in hours.get(yesterday, ()):
        start, end = _spans(interval)
        if end > _DAY and minute < end - _DAY:
            return True
    return False


def business_date(timezone: str, now: datetime) -> date:
    """The store's calendar day at ``now``: order numbers restart with it."""
    return now.astimezone(ZoneInfo(timezone)).date()
