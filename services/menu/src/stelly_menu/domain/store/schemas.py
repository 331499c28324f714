"""The storefront's store object and its admin settings (SPEC §3)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args
from zoneinfo import available_timezones

import msgspec
from msgspec import UNSET, Meta, UnsetType

from stelly_menu.domain.store.hours import Interval
from stelly_menu.types import Name

__all__ = [
    "TIME_ZONES",
    "AdminStore",
    "AdminStorePatch",
    "Day",
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


class StoreOut(msgspec.Struct, frozen=True):
    slug: str
    name: str
    currency: str
    timezone: str
    is_open: bool
    realtime_url: str


class AdminStore(msgspec.Struct, frozen=True):
    name: str
    currency: str
    timezone: str
    #: ``null``: open around the clock; a day not listed is closed.
    opening_hours: OpeningHours | None


class AdminStorePatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    timezone: TimeZone | UnsetType = UNSET
    opening_hours: OpeningHoursIn | UnsetType | None = UNSET
