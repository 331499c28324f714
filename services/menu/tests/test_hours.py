"""Opening hours → is_open, in the store's time zone (plain functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from stelly_menu.domain.store.hours import Interval, business_date, is_open, minutes, validate_hours

# 2026-11-23 is a Monday.
MON_NOON_UTC = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23 + day, hour, minute, tzinfo=UTC)


def test_no_hours_means_always_open() -> None:
    assert is_open(None, "UTC", MON_NOON_UTC)


def test_empty_hours_means_always_closed() -> None:
    assert not is_open({}, "UTC", MON_NOON_UTC)


@pytest.mark.parametrize(
    ("when", "expected"),
    [(at(0, 10, 59), False), (at(0, 11), True), (at(0, 21, 59), True), (at(0, 22), False)],
)
def test_interval_is_half_open(when: datetime, expected: bool) -> None:
    hours = {"mon": [Interval("11:00", "22:00")]}
    assert is_open(hours, "UTC", when) is expected


def test_time_zone_decides_the_day_and_hour() -> None:
    hours = {"mon": [Interval("11:00", "22:00")]}
    # 10:30 UTC is 11:30 in Rome (CET, UTC+1 in November)
    assert is_open(hours, "Europe/Rome", at(0, 10, 30))
    assert not is_open(hours, "UTC", at(0, 10, 30))
    # 03:00 UTC on Tuesday is still Monday 22:00 in New York
    assert not is_open(hours, "America/New_York", at(1, 3))
    assert is_open(hours, "America/New_York", at(1, 2, 59))


def test_overnight_interval_runs_into_the_next_day() -> None:
    hours = {"fri": [Interval("18:00", "02:00")]}
    assert is_open(hours, "UTC", at(4, 23))  # Friday 23:00
    assert is_open(hours, "UTC", at(5, 1, 59))  # Saturday 01:59
    assert not is_open(hours, "UTC", at(5, 2))
    assert not is_open(hours, "UTC", at(4, 17, 59))


def test_close_at_midnight() -> None:
    hours = {"mon": [Interval("00:00", "24:00")]}
    assert is_open(hours, "UTC", at(0, 0))
    assert is_open(hours, "UTC", at(0, 23, 59))
    assert not is_open(hours, "UTC", at(1, 0))


def test_minutes_and_validation() -> None:
    assert minutes("00:00") == 0
    assert minutes("24:00") == 1440
    for bad in ("24:01", "7:00", "12:60", "noon"):
        with pytest.raises(ValueError, match=r"HH:MM|past"):
            minutes(bad)
    with pytest.raises(ValueError, match=r"^monday"):
        validate_hours({"monday": []})
    with pytest.raises(ValueError, match=r"tue\[0\]\.close"):
        validate_hours({"tue": [Interval("10:00", "25:00")]})
    with pytest.raises(ValueError, match="24:00"):
        validate_hours({"tue": [Interval("24:00", "01:00")]})
    validate_hours({"sun": [Interval("10:00", "14:00"), Interval("18:00", "01:00")]})


def test_business_date_follows_the_store_time_zone() -> None:
    late = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert business_date("UTC", late) == date(2026, 11, 24)
    assert business_date("America/New_York", late) == date(2026, 11, 23)
