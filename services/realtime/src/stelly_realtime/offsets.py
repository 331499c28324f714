"""Offsets: the stream entry ids of a channel, and when a gap can be recovered.

An offset is a Redis stream entry id ``<ms>-<seq>``. They are compared as
pairs of integers, never as strings (``"9-0" < "10-0"`` only numerically).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ZERO",
    "Offset",
    "StreamState",
    "format_offset",
    "is_recoverable",
    "offset_before",
    "parse_offset",
]

Offset = tuple[int, int]
ZERO: Offset = (0, 0)
#: Redis refuses an exclusive range start at the largest id, so we refuse it earlier.
_MAX_PART = 2**64 - 1


def parse_offset(text: object) -> Offset:
    """Read an offset sent by a client or by Redis.

    Raises:
        ValueError: for anything but ``<ms>-<seq>`` with decimal parts in range.
    """
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    if not isinstance(text, str) or len(text) > 41:
        raise ValueError("invalid offset")
    ms, sep, seq = text.partition("-")
    if not sep or not ms.isdigit() or not seq.isdigit() or not ms.isascii() or not seq.isascii():
        raise ValueError("invalid offset")
    pair = (int(ms), int(seq))
    if pair[0] >= _MAX_PART or pair[1] >= _MAX_PART:
        raise ValueError("invalid offset")
    return pair


def format_offset(offset: Offset) -> str:
    """The wire form of an offset."""
    return f"{offset[0]}-{offset[1]}"


def offset_before(now_ms: int) -> Offset:
    """An offset below every entry a stream can get from ``now_ms`` on.

    Given to a client that subscribes to a channel with no stream yet, so
    that the first event published afterwards is strictly after it.
    """
    return (max(now_ms - 1, 0), 0)


@dataclass(frozen=True, slots=True)
class StreamState:
    """What a channel's stream says about itself (``XINFO STREAM``)."""

    last_id: Offset
    first_id: Offset | None
    entries_added: int
    length: int


def is_recoverable(
    since: Offset, *, stream: StreamState | None, now_ms: int, retention_ms: int
) -> bool:
    """Whether every event after ``since`` is still in the stream.

    Args:
        since: the last offset the client saw.
        stream: the channel's stream, ``None`` when it does not exist (never
            written, expired after a quiet window, or lost with Redis data).
        now_ms: Redis's clock.
        retention_ms: the window events are kept for.

    Returns:
        ``True`` when replaying the entries after ``since`` gives the client
        exactly what it missed; ``False`` when it must refetch.
    """
    if stream is None:
        return False  # nothing tells us what happened to it
    if since > stream.last_id:
        return False  # an offset this stream never gave: another epoch of the key
    if since[0] < now_ms - retention_ms:
        return False  # older than the window: the key may have expired and come back
    if stream.entries_added == stream.length:
        return True  # nothing was ever trimmed
    # trimmed entries all come before the first retained one
    oldest = stream.first_id if stream.first_id is not None else stream.last_id
    return since >= oldest
