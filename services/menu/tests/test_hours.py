"""Opening hours → is_open, in the store's time zone (plain functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from stelly_menu.domain.store.hours import (
    Interval,
    business_date,
    is_open,
    minutes,
    next_change,
    validate_hours,
    validate_intervals,
)

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


# -- exceptions and the next change ---------------------------------------------

EVERY_DAY_9_TO_17 = {
    d: [Interval("09:00", "17:00")] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def test_an_exception_replaces_the_weekly_hours_of_its_date() -> None:
    closed_tuesday = {date(2026, 11, 24): []}
    assert is_open(EVERY_DAY_9_TO_17, "UTC", at(0, 12), closed_tuesday)
    assert not is_open(EVERY_DAY_9_TO_17, "UTC", at(1, 12), closed_tuesday)
    short_tuesday = {date(2026, 11, 24): [Interval("10:00", "11:00")]}
    assert is_open(EVERY_DAY_9_TO_17, "UTC", at(1, 10, 30), short_tuesday)
    assert not is_open(EVERY_DAY_9_TO_17, "UTC", at(1, 12), short_tuesday)
    # around the clock, except one closed date
    assert not is_open(None, "UTC", at(1, 12), closed_tuesday)
    assert is_open(None, "UTC", at(2, 0, 1), closed_tuesday)


def test_an_exception_running_past_midnight_keeps_the_store_open_into_the_next_day() -> None:
    new_year = {date(2026, 12, 31): [Interval("18:00", "03:00")]}
    assert is_open(EVERY_DAY_9_TO_17, "UTC", datetime(2026, 12, 31, 23, 30, tzinfo=UTC), new_year)
    assert is_open(EVERY_DAY_9_TO_17, "UTC", datetime(2027, 1, 1, 2, 59, tzinfo=UTC), new_year)
    assert not is_open(EVERY_DAY_9_TO_17, "UTC", datetime(2027, 1, 1, 3, 0, tzinfo=UTC), new_year)
    # the weekly late interval of the day before still runs into an excepted (closed) day
    late = {"fri": [Interval("18:00", "02:00")]}
    closed_saturday = {date(2026, 11, 28): []}
    assert is_open(late, "UTC", at(5, 1), closed_saturday)
    assert not is_open(late, "UTC", at(5, 19), closed_saturday)


def test_exceptions_are_dates_of_the_store_time_zone() -> None:
    closed = {date(2026, 11, 24): []}
    # 23:30 UTC on Monday is already Tuesday 00:30 in Rome
    assert not is_open(None, "Europe/Rome", at(0, 23, 30), closed)
    assert is_open(None, "UTC", at(0, 23, 30), closed)


def test_next_change_is_the_next_flip_within_seven_days() -> None:
    # Monday 12:00 UTC, open 09-17 every day: closes at 17:00
    assert next_change(EVERY_DAY_9_TO_17, "UTC", at(0, 12)) == at(0, 17)
    # closed at 18:00: opens at 09:00 next day
    assert next_change(EVERY_DAY_9_TO_17, "UTC", at(0, 18)) == at(1, 9)
    # adjacent intervals do not flip
    joined = {"mon": [Interval("09:00", "12:00"), Interval("12:00", "15:00")]}
    assert next_change(joined, "UTC", at(0, 10)) == at(0, 15)
    # around the clock, or never open: no change
    assert next_change(None, "UTC", at(0, 10)) is None
    assert next_change({}, "UTC", at(0, 10)) is None
    # a closed date ahead is the next change when always open otherwise
    assert next_change(None, "Europe/Rome", at(0, 10), {date(2026, 11, 26): []}) == datetime(
        2026, 11, 25, 23, 0, tzinfo=UTC
    )
    # more than 7 days away: none
    assert next_change(None, "UTC", at(0, 10), {date(2026, 12, 10): []}) is None


def test_next_change_on_dst_days() -> None:
    # Europe/Rome springs forward on 2026-03-29 at 02:00 (to 03:00, UTC+2)
    opens_0230 = {"sun": [Interval("02:30", "12:00")]}
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    # 02:30 does not exist: the store opens when the clock jumps to 03:00 (01:00 UTC)
    assert next_change(opens_0230, "Europe/Rome", saturday) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )
    sunday_open = datetime(2026, 3, 29, 2, 0, tzinfo=UTC)  # 04:00 local
    assert is_open(opens_0230, "Europe/Rome", sunday_open)
    assert next_change(opens_0230, "Europe/Rome", sunday_open) == datetime(
        2026, 3, 29, 10, 0, tzinfo=UTC
    )
    # falls back on 2026-10-25 at 03:00 (to 02:00, UTC+1): a close at 09:00 local is 08:00 UTC
    october = {"sun": [Interval("00:00", "09:00")]}
    early = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # Sunday 01:00 local (UTC+2)
    assert is_open(october, "Europe/Rome", early)
    assert next_change(october, "Europe/Rome", early) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    # New York: a store open 09-17 on the Sunday the clocks fall back (2026-11-01)
    ny = {"sun": [Interval("09:00", "17:00")]}
    saturday_ny = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    assert next_change(ny, "America/New_York", saturday_ny) == datetime(
        2026, 11, 1, 14, 0, tzinfo=UTC
    )


def test_validate_intervals_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"^x\[1\]\.open"):
        validate_intervals("x", [Interval("09:00", "10:00"), Interval("24:00", "10:00")])
    with pytest.raises(ValueError, match="at most 6"):
        validate_intervals("x", [Interval("09:00", "10:00")] * 7)
