"""Offset arithmetic and the recovery rule, as plain functions."""

from __future__ import annotations

import pytest
from stelly_realtime.offsets import (
    StreamState,
    format_offset,
    is_recoverable,
    offset_before,
    parse_offset,
)

DAY_MS = 24 * 3600 * 1000
NOW = 1_800_000_000_000


def test_offsets_compare_numerically_not_as_text() -> None:
    assert "9-0" > "10-0"  # what string comparison would get wrong
    assert parse_offset("9-0") < parse_offset("10-0")
    assert parse_offset("5-10") > parse_offset("5-9")


@pytest.mark.parametrize("text", ["0-0", "1795690856531-0", "1795690856531-17"])
def test_offsets_round_trip(text: str) -> None:
    assert format_offset(parse_offset(text)) == text


def test_offsets_from_redis_bytes() -> None:
    assert parse_offset(b"12-3") == (12, 3)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1",
        "1-",
        "-1",
        "a-1",
        "1-2-3",
        " 1-2",
        "1-2 ",
        "+1-2",
        "1_0-2",
        "\u0661-\u0660",
        f"{2**64 - 1}-0",
        f"0-{2**64 - 1}",
        "9" * 50,
        None,
        5,
        ["1-2"],
    ],
)
def test_malformed_offsets_are_refused(text: object) -> None:
    with pytest.raises(ValueError, match="offset"):
        parse_offset(text)


def test_offset_before_is_below_anything_published_from_now() -> None:
    assert offset_before(NOW) < (NOW, 0)
    assert offset_before(NOW) >= (NOW - 1, 0)


def _stream(
    first: tuple[int, int] | None, last: tuple[int, int], added: int, length: int
) -> StreamState:
    return StreamState(last_id=last, first_id=first, entries_added=added, length=length)


def test_untrimmed_stream_recovers_any_recent_offset() -> None:
    stream = _stream((NOW - 100, 0), (NOW - 10, 0), added=5, length=5)
    assert is_recoverable((NOW - 500, 0), stream=stream, now_ms=NOW, retention_ms=DAY_MS)


def test_trimmed_stream_recovers_only_from_its_oldest_entry() -> None:
    stream = _stream((NOW - 100, 0), (NOW - 10, 0), added=9, length=5)
    kw = {"stream": stream, "now_ms": NOW, "retention_ms": DAY_MS}
    assert not is_recoverable((NOW - 101, 0), **kw)  # type: ignore[arg-type]
    assert is_recoverable((NOW - 100, 0), **kw)  # type: ignore[arg-type]
    assert is_recoverable((NOW - 10, 0), **kw)  # type: ignore[arg-type]


def test_empty_stream_after_trimming_recovers_only_its_top() -> None:
    stream = _stream(None, (NOW - 10, 3), added=4, length=0)
    kw = {"stream": stream, "now_ms": NOW, "retention_ms": DAY_MS}
    assert is_recoverable((NOW - 10, 3), **kw)  # type: ignore[arg-type]
    assert not is_recoverable((NOW - 10, 2), **kw)  # type: ignore[arg-type]


def test_missing_stream_future_offset_and_old_offset_are_not_recovered() -> None:
    stream = _stream((NOW - 100, 0), (NOW - 10, 0), added=5, length=5)
    assert not is_recoverable((NOW - 50, 0), stream=None, now_ms=NOW, retention_ms=DAY_MS)
    assert not is_recoverable((NOW - 10, 1), stream=stream, now_ms=NOW, retention_ms=DAY_MS)
    old = (NOW - DAY_MS - 1, 0)
    assert not is_recoverable(old, stream=stream, now_ms=NOW, retention_ms=DAY_MS)
