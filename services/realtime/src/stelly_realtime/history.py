"""Reading a channel's stream back: where it stands and what came after ``since``.

One Lua call reads the stream's state, Redis's clock and the entries after
``since`` atomically, so a trim cannot fall between the check and the read.

A ``since`` inside the stream's range that is not one of its entries was
lost with Redis data (a restart from an append-only file that missed its
last writes, then new events): the entries after it cannot be trusted to be
all the client missed, so the state reports the stream as trimmed past
``since`` and the session answers ``recovered: false``. A stream that is
gone, or that ends before ``since``, already reads as unrecoverable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stelly_realtime.offsets import Offset, StreamState, format_offset, parse_offset

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["History", "HistoryReader", "StoredEvent"]

# KEYS[1] the stream; ARGV[1] exclusive start ('' for none), ARGV[2] max entries
_READ = """
local now = redis.call('TIME')
if redis.call('EXISTS', KEYS[1]) == 0 then return {now[1], now[2]} end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local f = {}
for i = 1, #info, 2 do f[info[i]] = info[i + 1] end
local first = ''
if f['first-entry'] then first = f['first-entry'][1] end
local entries = {}
local held = 0
if ARGV[1] ~= '' then
  entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
  held = #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
end
return {now[1], now[2], f['last-generated-id'], first, f['entries-added'], f['length'], entries, held}
"""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One entry of a channel's stream."""

    offset: str
    type: bytes
    data: bytes


@dataclass(frozen=True, slots=True)
class History:
    """A consistent read of a channel's stream."""

    now_ms: int
    stream: StreamState | None
    events: list[StoredEvent]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class HistoryReader:
    """Reads channel streams back for recovery.

    Args:
        redis: the Redis client.
    """

    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(_READ)

    async def read(self, key: str, since: Offset | None, *, limit: int) -> History:
        """Read a stream's state and up to ``limit`` entries after ``since``.

        Args:
            key: the channel's stream key.
            since: the exclusive start, or ``None`` to read only the state.
            limit: how many entries to return at most.

        Returns:
            The stream's state (``None`` when it does not exist), Redis's clock
            in milliseconds, and the entries after ``since`` in order.
        """
        start = format_offset(since) if since is not None else ""
        reply = await self._script(keys=[key], args=[start, limit])
        now_ms = int(reply[0]) * 1000 + int(reply[1]) // 1000
        if len(reply) == 2:
            return History(now_ms, None, [])
        first = _text(reply[3])
        stream = StreamState(
            last_id=parse_offset(_text(reply[2])),
            first_id=parse_offset(first) if first else None,
            entries_added=int(reply[4]),
            length=int(reply[5]),
        )
        events = []
        for entry_id, fields in reply[6]:
            values = dict(zip(fields[::2], fields[1::2], strict=True))
            events.append(StoredEvent(_text(entry_id), values[b"type"], values[b"data"]))
        if since is not None and events and not int(reply[7]) and _within(since, stream):
            # ``since`` was an entry of this stream once and is gone: data was lost
            stream = StreamState(
                last_id=stream.last_id,
                first_id=parse_offset(events[0].offset),
                entries_added=max(stream.entries_added, stream.length + 1),
                length=stream.length,
            )
        return History(now_ms, stream, events)


def _within(since: Offset, stream: StreamState) -> bool:
    return stream.first_id is not None and stream.first_id <= since <= stream.last_id
