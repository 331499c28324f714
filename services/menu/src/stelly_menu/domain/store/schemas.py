"""The storefront's store object and its admin settings (SPEC §3)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from stelly_menu.domain.store.hours import Interval
from stelly_menu.types import Name

__all__ = ["AdminStore", "AdminStorePatch", "OpeningHours", "StoreOut"]

OpeningHours = dict[str, list[Interval]]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
TimeZone = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$")]


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
    opening_hours: OpeningHours | UnsetType | None = UNSET
