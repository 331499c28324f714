"""Opening hours in the store's time zone: plain functions, no framework.

Hours are a mapping of day (``mon`` .. ``sun``) to intervals ``{open, close}``
in ``HH:MM``. A close at or before the open runs past midnight into the next
day; ``24:00`` closes at midnight. A day not listed is closed. No hours at all
(``None``) means open around the clock (each day ``00:00-24:00``).

Exceptions name a local date and replace that date's weekly intervals (an
empty list: closed that day). An interval belongs to the day it opens on, so
an exception's interval that runs past midnight keeps the store open into the
next day, and the previous day's late interval still runs into an excepted
day. Everything is judged on the local wall clock, so on DST days an
interval is as long as the clock says (a 02:30 opening on a spring-forward
night opens when the clock jumps to 03:00).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
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
    "next_change",
    "validate_hours",
    "validate_intervals",
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


def validate_intervals(where: str, intervals: Sequence[Interval]) -> None:
    """Check one day's intervals (at most 6, valid times, no opening at 24:00).

    Raises:
        ValueError: naming the first bad time as ``{where}[i].open``.
    """
    if len(intervals) > 6:
        raise ValueError(f"{where}: at most 6 intervals a day")
    for i, interval in enumerate(intervals):
        for name in ("open", "close"):
            try:
                minutes(getattr(interval, name))
            except ValueError as exc:
                raise ValueError(f"{where}[{i}].{name}: {exc}") from None
        if minutes(interval.open) == _DAY:
            raise ValueError(f"{where}[{i}].open: cannot open at 24:00")


def validate_hours(hours: Mapping[Any, Sequence[Interval]]) -> None:
    """Check day names and times.

    Raises:
        ValueError: naming the first bad day or time as ``day[i].open``.
    """
    for day, intervals in hours.items():
        if day not in DAYS:
            raise ValueError(f"{day}: not one of {', '.join(DAYS)}")
        validate_intervals(str(day), intervals)


def _spans(interval: Interval) -> tuple[int, int]:
    start, end = minutes(interval.open), minutes(interval.close)
    return start, end if end > start else end + _DAY


_ALL_DAY = (Interval("00:00", "24:00"),)


def _intervals_on(
    hours: Mapping[str, Sequence[Interval]] | None,
    exceptions: Mapping[date, Sequence[Interval]] | None,
    day: date,
) -> Sequence[Interval]:
    if exceptions is not None and day in exceptions:
        return exceptions[day]
    if hours is None:
        return _ALL_DAY
    return hours.get(DAYS[day.weekday()], ())


def is_open(
    hours: Mapping[str, Sequence[Interval]] | None,
    timezone: str,
    now: datetime,
    exceptions: Mapping[date, Sequence[Interval]] | None = None,
) -> bool:
    """Whether the store's schedule has it open at ``now`` (an aware datetime).

    Args:
        hours: the weekly hours, or ``None`` for always open.
        timezone: the store's IANA time zone.
        now: the instant to judge.
        exceptions: local dates whose intervals replace the weekly ones.
    """
    if hours is None and not exceptions:
        return True
    local = now.astimezone(ZoneInfo(timezone))
    minute = local.hour * 60 + local.minute
    today = local.date()
    for interval in _intervals_on(hours, exceptions, today):
        start, end = _spans(interval)
        if start <= minute < end:
            return True
    for interval in _intervals_on(hours, exceptions, today - timedelta(days=1)):
        start, end = _spans(interval)
        if end > _DAY and minute < end - _DAY:
            return True
    return False


def _instants(wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the local clock shows ``wall`` (naive): both folds."""
    return [wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)]


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The instants in ``[start, end]`` (UTC) at which the zone's UTC offset changes."""
    found: list[datetime] = []
    step = timedelta(hours=6)
    left = start
    while left < end:
        right = min(left + step, end)
        if left.astimezone(zone).utcoffset() != right.astimezone(zone).utcoffset():
            lo, hi = left, right  # the offset changes once within six hours at most
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(microsecond=0))
        left = right
    return found


def next_change(
    hours: Mapping[str, Sequence[Interval]] | None,
    timezone: str,
    now: datetime,
    exceptions: Mapping[date, Sequence[Interval]] | None = None,
    horizon: timedelta = timedelta(days=7),
) -> datetime | None:
    """The first instant after ``now`` and within ``horizon`` at which :func:`is_open` flips.

    The state can only change where a local wall-clock boundary (an interval's
    open or close, on either fold of a DST night) or a change of the zone's
    offset falls, so those instants are the candidates, judged in order.

    Returns:
        That instant (UTC, to the minute or the second of an offset change), or ``None``.
    """
    if hours is None and not exceptions:
        return None  # open around the clock
    zone = ZoneInfo(timezone)
    now = now.astimezone(UTC)
    until = now + horizon
    current = is_open(hours, timezone, now, exceptions)
    first = now.astimezone(zone).date() - timedelta(days=1)
    candidates: set[datetime] = set(_offset_changes(zone, now, until))
    for offset in range((until - now).days + 3):
        day = first + timedelta(days=offset)
        midnight = datetime.combine(day, time())
        for interval in _intervals_on(hours, exceptions, day):
            start, end = _spans(interval)
            for boundary in (start, end):
                candidates.update(_instants(midnight + timedelta(minutes=boundary), zone))
    for instant in sorted(c for c in candidates if now < c <= until):
        if is_open(hours, timezone, instant, exceptions) != current:
            return instant
    return None


def business_date(timezone: str, now: datetime) -> date:
    """The store's calendar day at ``now``: order numbers restart with it."""
    return now.astimezone(ZoneInfo(timezone)).date()
