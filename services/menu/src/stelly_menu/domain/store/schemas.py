"""The storefront's store object and its admin settings (SPEC §3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args
from zoneinfo import available_timezones

import msgspec
from msgspec import UNSET, Meta, UnsetType

from stelly_menu.domain.store.hours import Interval
from stelly_menu.types import Name

__all__ = [
    "MAX_EXCEPTIONS",
    "TIME_ZONES",
    "AdminStore",
    "AdminStorePatch",
    "Day",
    "HoursException",
    "OpeningHours",
    "OpeningHoursIn",
    "StoreOut",
]

OpeningHours = dict[str, list[Interval]]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
#: what a patch may set: known days only, at most 6 intervals a day
OpeningHoursIn = Annotated[
    dict[Day, Annotated[list[Interval], Meta(max_length=6)]],
    Meta(extra_json_schema={"propertyNames": {"enum": list(get_args(Day))}}),
]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
#: every IANA time zone name this server knows (the document lists them)
TIME_ZONES: frozenset[str] = frozenset(available_timezones())
TimeZone = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_+/-]+$",
        extra_json_schema={"enum": sorted(TIME_ZONES)},
    ),
]


#: at most this many exceptions (checked by the service, so that it is a 422 naming the field)
MAX_EXCEPTIONS = 100
ExceptionNote = Annotated[str, Meta(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]


class HoursException(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One local date whose intervals replace the weekly hours (none: closed all day)."""

    #: ``YYYY-MM-DD`` in the store's time zone
    date: Annotated[str, Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    intervals: Annotated[list[Interval], Meta(max_length=6)]
    note: ExceptionNote | None = None


class StoreOut(msgspec.Struct, frozen=True):
    slug: str
    name: str
    currency: str
    timezone: str
    #: the schedule, exceptions and the closed-now switch taken together
    is_open: bool
    realtime_url: str
    #: ``null``: open around the clock; a day not listed is closed.
    opening_hours: OpeningHours | None
    #: the exceptions from today to today + 30 days (store's time zone)
    hours_exceptions: list[HoursException]
    closed_now: bool
    #: when ``is_open`` next flips by schedule within 7 days (UTC); ``null`` otherwise
    next_change_at: datetime | None


class AdminStore(msgspec.Struct, frozen=True):
    name: str
    currency: str
    timezone: str
    #: ``null``: open around the clock; a day not listed is closed.
    opening_hours: OpeningHours | None
    #: every exception, by date
    hours_exceptions: list[HoursException]
    #: the manual "closed now" switch; stays on until switched off
    closed_now: bool


class AdminStorePatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    timezone: TimeZone | UnsetType = UNSET
    opening_hours: OpeningHoursIn | UnsetType | None = UNSET
    #: replaces the whole list: at most 100, one per date
    hours_exceptions: (
        Annotated[list[HoursException], Meta(extra_json_schema={"maxItems": MAX_EXCEPTIONS})]
        | UnsetType
    ) = UNSET
    closed_now: bool | UnsetType = UNSET
