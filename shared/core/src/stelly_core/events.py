"""Tenant events: channels, the Redis stream per channel, and the transactional outbox.

Producers (menu, media worker) call :func:`enqueue_event` inside the same
database transaction as the change; the :class:`OutboxRelay` of the producing
process moves committed events to Redis, in commit order, with one Lua call
per event that appends to the channel's stream (the entry id is the event's
offset) and publishes the encoded event on a pub/sub channel of the same
name. If Redis is down the events wait in the outbox until it is back.

Consumers (realtime) subscribe to :func:`channel_key` for live events and
read the stream with ``XRANGE`` to recover what a client missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from stelly_core.db import Database, DbConnection

__all__ = [
    "EVENT_TYPES",
    "RETENTION_SECONDS",
    "OutboxRelay",
    "channel_key",
    "enqueue_event",
    "publish_event",
    "validate_channel",
]

_log = logging.getLogger("stelly.events")

EVENT_TYPES = frozenset({"menu.updated", "order.created", "order.updated", "image.ready"})
#: How long a channel's events stay recoverable with ``since``.
RETENTION_SECONDS = 24 * 3600
#: A hard cap per channel stream, whatever the window.
MAX_STREAM_LENGTH = 10_000
_CHANNEL = re.compile(r"^(menu|kitchen|order:[1-9][0-9]{0,18})$")
NOTIFY_CHANNEL = "stelly_outbox"


def validate_channel(channel: str) -> str:
    """Check a channel name: ``menu``, ``kitchen`` or ``order:{id}``, exactly.

    Raises:
        ValueError: for anything else (case, whitespace, empty or odd ids).
    """
    if not isinstance(channel, str) or not _CHANNEL.fullmatch(channel):
        raise ValueError(f"invalid channel {channel!r}")
    return channel


def channel_key(tenant_id: int, channel: str) -> str:
    """The Redis stream key and pub/sub channel of one tenant's channel."""
    return f"t:{int(tenant_id)}:ev:{validate_channel(channel)}"


# KEYS[1] stream/pubsub key; ARGV: type (JSON string), data (JSON), min id, maxlen, ttl ms
_PUBLISH = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'type', ARGV[1], 'data', ARGV[2])
redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', KEYS[1], '{"offset":"' .. id .. '","type":"' .. ARGV[1] .. '","data":' .. ARGV[2] .. '}')
return id
"""


async def publish_event(
    redis: Redis, tenant_id: int, channel: str, event_type: str, data: bytes
) -> str:
    """Append an event to its channel's stream and publish it, atomically.

    Args:
        redis: the Redis client.
        tenant_id: the tenant.
        channel: ``menu``, ``kitchen`` or ``order:{id}``.
        event_type: one of :data:`EVENT_TYPES`.
        data: the event's data, already JSON-encoded.

    Returns:
        The event's offset (its stream entry id).
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    min_id = int(time.time() * 1000) - RETENTION_SECONDS * 1000
    script = redis.register_script(_PUBLISH)
    offset = await script(
        keys=[channel_key(tenant_id, channel)],
        args=[event_type, data, min_id, MAX_STREAM_LENGTH, RETENTION_SECONDS * 1000],
    )
    return offset.decode() if isinstance(offset, bytes) else str(offset)


async def enqueue_event(
    conn: DbConnection, tenant_id: int, channel: str, event_type: str, data: Any
) -> None:
    """Record an event in the outbox, inside the caller's transaction.

    It reaches Redis only if that transaction commits.
    """
    validate_channel(channel)
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    await conn.execute(
        "INSERT INTO public.event_outbox (tenant_id, channel, type, data) VALUES ($1, $2, $3, $4)",
        tenant_id,
        channel,
        event_type,
        msgspec.json.encode(data).decode(),
    )
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


class OutboxRelay:
    """Moves committed outbox events to Redis, oldest first.

    One relay at a time holds the outbox (an advisory lock), so events keep
    their commit order per channel across replicas. Woken by ``NOTIFY`` and,
    as a backstop, every ``interval`` seconds.
    """

    LOCK = 0x5E11_0E0E

    def __init__(self, db: Database, redis: Redis, *, interval: float = 1.0, batch: int = 200):
        self._db = db
        self._redis = redis
        self._interval = interval
        self._batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listen_conn: Any = None

    def start(self) -> None:
        """Start relaying in the background."""
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Stop relaying (events not yet relayed stay in the outbox)."""
        task, self._task = self._task, None
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.5)
        if self._listen_conn is not None:
            with contextlib.suppress(Exception):
                await self._listen_conn.close()
            self._listen_conn = None

    def wake(self) -> None:
        """Relay now rather than at the next tick."""
        self._wake.set()

    async def _listen(self) -> None:
        if self._listen_conn is not None and not self._listen_conn.is_closed():
            return
        with contextlib.suppress(Exception):
            conn = await self._db.pool.acquire()
            self._listen_conn = conn
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
                while await self.relay_once() == self._batch:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("outbox relay paused: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
            self._wake.clear()

    async def relay_once(self) -> int:
        """Relay one batch; returns how many events went out.

        Raises:
            RedisError: when Redis is unreachable; the batch stays in the outbox.
        """
        async with self._db.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", self.LOCK):
                return 0
            rows = await conn.fetch(
                "SELECT id, tenant_id, channel, type, data FROM public.event_outbox"
                " ORDER BY id LIMIT $1",
                self._batch,
            )
            for row in rows:
                await publish_event(
                    self._redis,
                    row["tenant_id"],
                    row["channel"],
                    row["type"],
                    row["data"].encode(),
                )
            if rows:
                # exactly these ids: a row committed meanwhile is relayed next time
                await conn.execute(
                    "DELETE FROM public.event_outbox WHERE id = ANY($1::bigint[])",
                    [row["id"] for row in rows],
                )
        return len(rows)
