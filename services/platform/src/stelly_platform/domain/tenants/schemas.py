"""Wire types of ``/api/v1/platform/tenants``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from stelly_platform.types import Email, Line, Name, Password

__all__ = ["TenantCreate", "TenantOut", "TenantPage"]


class TenantCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A new tenant, as ``stelly tenant create`` takes it (the owner is optional)."""

    #: checked by the provisioning rules: a bad or reserved slug is 422 ``invalid_slug``
    slug: Line
    name: Name
    owner_email: Email | None = None
    owner_password: Password | None = None


class TenantOut(msgspec.Struct, frozen=True):
    """A tenant with its usage; a figure is ``null`` when its table is not in the schema."""

    slug: str
    name: str
    status: Literal["active", "suspended"]
    created_at: datetime
    #: orders placed in the last 7 days
    orders_last_7_days: int | None
    #: images uploaded (every state)
    images_stored: int | None
    #: when the latest order was placed
    last_order_at: datetime | None


class TenantPage(msgspec.Struct, frozen=True):
    """One page of tenants, oldest first; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[TenantOut]
    next_cursor: str | None
