"""The store's settings: name, currency and time zone in the registry, hours in the schema.

The schedule (weekly hours, exceptions, the closed-now switch) lives in the
one ``store_settings`` row; whether the store is open is always judged from
all three by :meth:`Schedule.is_open`, so the storefront, the order check and
the ``store.updated`` event agree. Every settings change queues
``store.updated`` on the public ``menu`` channel in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import msgspec
from msgspec import UNSET
from stelly_core.events import enqueue_event
from stelly_tenancy.invalidation import publish_tenant_change

from stelly_menu.domain.menu.services import bump_menu_version, menu_changed
from stelly_menu.domain.store.hours import (
    Interval,
    business_date,
    is_open,
    next_change,
    validate_hours,
    validate_intervals,
)
from stelly_menu.domain.store.schemas import (
    MAX_EXCEPTIONS,
    TIME_ZONES,
    AdminStore,
    AdminStorePatch,
    HoursException,
    OpeningHours,
)
from stelly_menu.errors import field_problem

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stelly_core.db import DbConnection
    from stelly_core.errors import ProblemError
    from stelly_tenancy.models import Tenant

    from stelly_menu.runtime import MenuRuntime

__all__ = [
    "PUBLIC_EXCEPTION_DAYS",
    "Schedule",
    "admin_store",
    "check_exceptions",
    "load_schedule",
    "store_is_open",
    "update_store",
]

#: the storefront shows the exceptions of the next 30 days
PUBLIC_EXCEPTION_DAYS = 30
_Exceptions = list[HoursException]


@dataclass(frozen=True, slots=True)
class Schedule:
    """What decides whether a store is open."""

    hours: OpeningHours | None
    exceptions: list[HoursException] = field(default_factory=list)
    closed_now: bool = False

    def by_date(self) -> dict[date, Sequence[Interval]]:
        return {date.fromisoformat(e.date): e.intervals for e in self.exceptions}

    def is_open(self, timezone: str, now: datetime) -> bool:
        """Open by the weekly hours and the exceptions, unless switched closed."""
        return not self.closed_now and is_open(self.hours, timezone, now, self.by_date())

    def next_change_at(self, timezone: str, now: datetime) -> datetime | None:
        """When the schedule next flips ``is_open`` (none while switched closed)."""
        if self.closed_now:
            return None
        return next_change(self.hours, timezone, now, self.by_date())

    def upcoming(self, timezone: str, now: datetime) -> list[HoursException]:
        """The exceptions from today to today + :data:`PUBLIC_EXCEPTION_DAYS`."""
        today = business_date(timezone, now)
        last = today + timedelta(days=PUBLIC_EXCEPTION_DAYS)
        return [e for e in self.exceptions if today <= date.fromisoformat(e.date) <= last]


async def load_schedule(conn: DbConnection) -> Schedule:
    """The schedule of the tenant whose schema is selected."""
    row = await conn.fetchrow(
        "SELECT opening_hours, hours_exceptions, closed_now FROM store_settings WHERE id = 1"
    )
    assert row is not None  # the migration inserts the one row
    hours = None
    if row["opening_hours"] is not None:
        hours = msgspec.json.decode(row["opening_hours"], type=OpeningHours)
    exceptions = msgspec.json.decode(row["hours_exceptions"], type=_Exceptions)
    return Schedule(hours, exceptions, row["closed_now"])


async def store_is_open(conn: DbConnection, tenant: Tenant, now: datetime | None = None) -> bool:
    """Whether the store takes orders now, in its own time zone."""
    schedule = await load_schedule(conn)
    return schedule.is_open(tenant.timezone, now or datetime.now(UTC))


def check_exceptions(exceptions: Sequence[HoursException]) -> list[HoursException]:
    """Validate exceptions and sort them by date.

    Raises:
        ProblemError: 422 ``invalid_hours_exception`` naming the field
            (``hours_exceptions[i].date``, ``hours_exceptions[i].intervals[j].open``).
    """

    def problem(where: str, message: str) -> ProblemError:
        return field_problem(where, message, status=422, code="invalid_hours_exception")

    if len(exceptions) > MAX_EXCEPTIONS:
        raise problem("hours_exceptions", f"at most {MAX_EXCEPTIONS} exceptions")
    seen: dict[date, int] = {}
    for i, exception in enumerate(exceptions):
        where = f"hours_exceptions[{i}]"
        try:
            day = date.fromisoformat(exception.date)
        except ValueError:
            raise problem(f"{where}.date", f"{exception.date!r} is not a date") from None
        if day in seen:
            raise problem(f"{where}.date", f"{day} is already hours_exceptions[{seen[day]}]")
        seen[day] = i
        try:
            validate_intervals(f"{where}.intervals", exception.intervals)
        except ValueError as exc:
            field_name, _, message = str(exc).partition(": ")
            raise problem(field_name, message) from None
    return sorted(exceptions, key=lambda e: e.date)


async def admin_store(runtime: MenuRuntime, tenant: Tenant) -> AdminStore:
    async with runtime.db.tenant(tenant.schema) as conn:
        row = await conn.fetchrow(
            "SELECT name, currency, timezone FROM public.tenants WHERE id = $1", tenant.id
        )
        schedule = await load_schedule(conn)
    assert row is not None
    return AdminStore(
        row["name"],
        row["currency"],
        row["timezone"],
        schedule.hours,
        schedule.exceptions,
        schedule.closed_now,
    )


async def update_store(runtime: MenuRuntime, tenant: Tenant, patch: AdminStorePatch) -> AdminStore:
    """Apply a partial update; every replica sees new registry values within seconds.

    Any change queues ``store.updated`` (``{is_open, closed_now}``) on ``menu``.

    Raises:
        ProblemError: 400 naming ``timezone`` or the bad ``opening_hours`` entry;
            422 ``invalid_hours_exception`` naming the bad exception field.
    """
    if patch.timezone is not UNSET and patch.timezone not in TIME_ZONES:
        raise field_problem("timezone", f"unknown time zone {patch.timezone!r}")
    if patch.opening_hours is not UNSET and patch.opening_hours is not None:
        try:
            validate_hours(patch.opening_hours)
        except ValueError as exc:
            raise field_problem("opening_hours", str(exc)) from None
    exceptions = (
        None if patch.hours_exceptions is UNSET else check_exceptions(patch.hours_exceptions)
    )
    registry = {
        name: value
        for name, value in (
            ("name", patch.name),
            ("currency", patch.currency),
            ("timezone", patch.timezone),
        )
        if value is not UNSET
    }
    settings: dict[str, object] = {}
    if patch.opening_hours is not UNSET:
        hours = patch.opening_hours
        settings["opening_hours"] = None if hours is None else msgspec.json.encode(hours).decode()
    if exceptions is not None:
        settings["hours_exceptions"] = msgspec.json.encode(exceptions).decode()
    if patch.closed_now is not UNSET:
        settings["closed_now"] = patch.closed_now
    version = None
    async with runtime.db.tenant(tenant.schema) as conn:
        if registry:
            sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(registry, start=2))
            await conn.execute(
                f"UPDATE public.tenants SET {sets}, updated_at = now() WHERE id = $1",  # noqa: S608 - fixed column names
                tenant.id,
                *registry.values(),
            )
        if settings:
            casts = {"opening_hours": "::jsonb", "hours_exceptions": "::jsonb"}
            sets = ", ".join(
                f"{name} = ${i}{casts.get(name, '')}" for i, name in enumerate(settings, start=1)
            )
            await conn.execute(
                f"UPDATE store_settings SET {sets}, updated_at = now() WHERE id = 1",  # noqa: S608 - fixed column names
                *settings.values(),
            )
        if "currency" in registry and registry["currency"] != tenant.currency:
            version = await bump_menu_version(conn, tenant.id)
        if registry or settings:
            schedule = await load_schedule(conn)
            timezone = str(registry.get("timezone", tenant.timezone))
            await enqueue_event(
                conn,
                tenant.id,
                "menu",
                "store.updated",
                {
                    "is_open": schedule.is_open(timezone, datetime.now(UTC)),
                    "closed_now": schedule.closed_now,
                },
            )
    if registry:
        runtime.context.resolver.clear()
        await publish_tenant_change(runtime.context.redis, tenant.id)
    if version is not None:
        await menu_changed(runtime.cache, tenant.id, version)
    return await admin_store(runtime, tenant)
