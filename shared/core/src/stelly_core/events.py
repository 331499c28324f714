"""Tenant events: channels, the Redis stream per channel, and the transactional outbox.

Producers (menu, media worker) call :func:`enqueue_event` inside the same
database transaction as the change; the :class:`OutboxRelay` of the producing
process moves committed events to Redis, in commit order, with one Lua call
per event that appends to the channel's stream (the entry id is the event's
offset) and publishes the encoded event on a pub/sub channel of the same
name. If Redis or PostgreSQL is down the events wait in the outbox until
both are back; the relay survives either being killed, paused or restarted.

Consumers (realtime) subscribe to :func:`channel_key` for live events and
read the stream with ``XRANGE`` to recover what a client missed.

Trace context (SPEC §9): an outbox row keeps the ``traceparent`` of the span
that wrote it; the relay publishes each such row in a ``publish {channel}``
span, child of the row's context, whose ``traceparent`` the stream entry
holds as a field and the pub/sub message as a last member
(``…,"data":…,"traceparent":"00-…"}``, which realtime strips before its
clients see the event). A row without one (written before the column, or
outside any trace) is relayed exactly as before, without a span. The relay's
own polling is not traced: it would be two root traces a second.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING, Any

import msgspec
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from redis.exceptions import RedisError

from stelly_core.telemetry.instruments import OUTBOX_DEPTH, OUTBOX_OLDEST_AGE, instruments
from stelly_core.telemetry.propagation import (
    context_from_traceparent,
    current_traceparent,
    is_traceparent,
)

if TYPE_CHECKING:
    import asyncpg
    from redis.asyncio import Redis

    from stelly_core.db import Database, DbConnection

__all__ = [
    "EVENT_TYPES",
    "RETENTION_SECONDS",
    "OutboxRelay",
    "channel_key",
    "channel_template",
    "enqueue_event",
    "publish_event",
    "validate_channel",
]

_log = logging.getLogger("stelly.events")
_tracer = trace.get_tracer("stelly.events")

EVENT_TYPES = frozenset(
    {"menu.updated", "store.updated", "order.created", "order.updated", "image.ready"}
)
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


def channel_template(channel: str) -> str:
    """A channel's name without its id (``order:{id}``), for span names and metrics."""
    return "order:{id}" if channel.startswith("order:") else channel


# KEYS[1] stream/pubsub key; ARGV: type (JSON string), data (JSON), min id, maxlen, ttl ms,
# traceparent ('' for none: the entry and the message are then as they always were)
_PUBLISH = """
local id
local tail = '}'
if ARGV[6] ~= nil and ARGV[6] ~= '' then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'type', ARGV[1], 'data', ARGV[2],
                  'traceparent', ARGV[6])
  tail = ',"traceparent":"' .. ARGV[6] .. '"}'
else
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'type', ARGV[1], 'data', ARGV[2])
end
redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PUBLISH', KEYS[1], '{"offset":"' .. id .. '","type":"' .. ARGV[1] .. '","data":' .. ARGV[2] .. tail)
return id
"""


async def publish_event(
    redis: Redis,
    tenant_id: int,
    channel: str,
    event_type: str,
    data: bytes,
    *,
    traceparent: str | None = None,
) -> str:
    """Append an event to its channel's stream and publish it, atomically.

    Args:
        redis: the Redis client.
        tenant_id: the tenant.
        channel: ``menu``, ``kitchen`` or ``order:{id}``.
        event_type: one of :data:`EVENT_TYPES`.
        data: the event's data, already JSON-encoded.
        traceparent: the trace context the event carries; the active span's
            when omitted (none when no span is active); a malformed one is dropped.

    Returns:
        The event's offset (its stream entry id).
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    min_id = int(time.time() * 1000) - RETENTION_SECONDS * 1000
    carried = current_traceparent() if traceparent is None else traceparent
    script = redis.register_script(_PUBLISH)
    offset = await script(
        keys=[channel_key(tenant_id, channel)],
        args=[
            event_type,
            data,
            min_id,
            MAX_STREAM_LENGTH,
            RETENTION_SECONDS * 1000,
            carried if carried is not None and is_traceparent(carried) else "",
        ],
    )
    return offset.decode() if isinstance(offset, bytes) else str(offset)


async def enqueue_event(
    conn: DbConnection, tenant_id: int, channel: str, event_type: str, data: Any
) -> None:
    """Record an event in the outbox, inside the caller's transaction.

    It reaches Redis only if that transaction commits. The row keeps the
    active span's ``traceparent``, so its relay and delivery join the trace.
    """
    validate_channel(channel)
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    await conn.execute(
        "INSERT INTO public.event_outbox (tenant_id, channel, type, data, traceparent)"
        " VALUES ($1, $2, $3, $4, $5)",
        tenant_id,
        channel,
        event_type,
        msgspec.json.encode(data).decode(),
        current_traceparent(),
    )
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


class OutboxRelay:
    """Moves committed outbox events to Redis, oldest first.

    One relay at a time holds the outbox (a transaction-scoped advisory
    lock), so events keep their commit order per channel across replicas.

    Invariants:

    * An event leaves the outbox only in the transaction that saw Redis
      accept it; a fault mid-batch commits the deletion of what went out and
      keeps the rest, so Redis faults cause no duplicates (a PostgreSQL fault
      between publish and commit can: delivery is at least once).
    * Nothing waits without a bound: one batch has ``timeout`` seconds, the
      PostgreSQL session ends a relay transaction left idle for
      :data:`IDLE_IN_TRANSACTION_MS` (a frozen replica cannot hold the lock),
      Redis calls have the client's socket timeout.
    * Woken by ``NOTIFY`` on a dedicated connection of its own (rebuilt when
      lost, never a pooled one) and, as a backstop, every ``interval``
      seconds, so a lost ``LISTEN`` (or PgBouncer in transaction mode, which
      does not carry it) only adds latency.
    * While PostgreSQL or Redis is down it retries with a backoff capped at
      ``max_backoff`` seconds and logs once per outage: a warning when it
      starts, an info with its length and backlog when it ends.
    * :meth:`stop` makes one last bounded attempt; what it cannot relay stays
      in the outbox for another replica.
    * After a pass it counts the outbox (:meth:`measure`, once a second at
      most) for the ``stelly.outbox.depth`` and ``stelly.outbox.oldest_age``
      gauges, whose callbacks only read what it counted.
    """

    LOCK = 0x5E11_0E0E
    #: a relay transaction idle this long (a frozen process) is ended by the server
    IDLE_IN_TRANSACTION_MS = 10_000
    #: seconds between two counts of the outbox for its gauges
    MEASURE_EVERY = 1.0
    MEASURE_TIMEOUT = 2.0

    def __init__(
        self,
        db: Database,
        redis: Redis,
        *,
        interval: float = 0.5,
        batch: int = 200,
        max_backoff: float = 1.0,
        timeout: float = 10.0,
    ):
        self._db = db
        self._redis = redis
        self._interval = interval
        self._batch = batch
        self._max_backoff = max_backoff
        self._timeout = timeout
        self._script = redis.register_script(_PUBLISH)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listen_conn: asyncpg.Connection | None = None
        self._listen_retry_at = 0.0
        self._outage_since: float | None = None
        #: whether the last pass held the outbox's advisory lock (and so reached Redis)
        self._held_lock = False
        self._backoff = 0.0
        self._measure_at = 0.0
        self._measuring: asyncio.Task[None] | None = None

    @property
    def healthy(self) -> bool:
        """``False`` while an outage keeps events from leaving the outbox."""
        return self._outage_since is None

    def start(self) -> None:
        """Start relaying in the background."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, *, flush_timeout: float = 3.0) -> None:
        """Relay what is committed (at most ``flush_timeout`` seconds), then stop.

        Events not relayed by then stay in the outbox for another replica.
        """
        task, self._task = self._task, None
        self._stopping.set()
        self._wake.set()
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=flush_timeout)
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=0.5)
        measuring, self._measuring = self._measuring, None
        if measuring is not None and not measuring.done():
            measuring.cancel()
            await asyncio.wait({measuring}, timeout=0.5)
        await self._close_listener()

    def wake(self) -> None:
        """Relay now rather than at the next tick."""
        self._wake.set()

    async def _run(self) -> None:
        # this task's own queries and calls make no spans (each publish makes its own,
        # on the row's context, which does not carry this flag)
        otel_context.attach(otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        while True:
            final = self._stopping.is_set()
            if not final:
                await self._listen()
            self._wake.clear()
            ok = await self._drain()
            if final:
                return
            if time.monotonic() >= self._measure_at and (
                self._measuring is None or self._measuring.done()
            ):
                # beside the loop, not in it: a stalled PostgreSQL must not slow the relay
                self._measuring = asyncio.create_task(self.measure(), name="outbox-measure")
            if ok:
                await self._sleep(self._interval, self._wake, self._stopping)
            else:
                # a wake-up (NOTIFY) does not shorten a backoff, a stop does
                await self._sleep(self._backoff, self._stopping)

    @staticmethod
    async def _sleep(seconds: float, *events: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def _drain(self) -> bool:
        """Relay batches until the outbox is empty; ``False`` after a fault."""
        relayed = 0
        try:
            while True:
                count = await self.relay_once()
                relayed += count
                if count < self._batch:
                    break
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fault(exc)
            return False
        if not self._held_lock and self._outage_since is not None:
            # another replica holds the outbox, so this pass never reached Redis: ask
            # Redis itself before calling the outage over (else it would "resume" now
            # and warn again at its next pass with the lock)
            try:
                await self._redis.ping()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._fault(exc)
                return False
        if self._outage_since is not None:
            _log.info(
                "outbox relay resumed after %.1f s; %d events had waited",
                time.monotonic() - self._outage_since,
                relayed,
            )
            self._outage_since = None
        self._backoff = 0.0
        return True

    def _fault(self, exc: BaseException) -> None:
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            _log.warning("outbox relay paused, events wait in the outbox: %s", _describe(exc))
        else:
            _log.debug("outbox relay still paused: %s", _describe(exc))
        self._backoff = min(max(self._backoff * 2, 0.05), self._max_backoff)

    async def _listen(self) -> None:
        """(Re)open the ``LISTEN`` connection when it is gone; never raises."""
        conn = self._listen_conn
        if conn is not None and not conn.is_closed():
            return
        now = time.monotonic()
        if now < self._listen_retry_at:
            return
        self._listen_retry_at = now + self._max_backoff
        await self._close_listener()
        try:
            async with asyncio.timeout(self._timeout):
                conn = await self._db.dedicated()
                try:
                    await conn.add_listener(NOTIFY_CHANNEL, self._notified)
                except BaseException:
                    conn.terminate()
                    raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _log.debug("outbox relay cannot LISTEN (polling meanwhile): %s", _describe(exc))
            return
        self._listen_conn = conn

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _close_listener(self) -> None:
        conn, self._listen_conn = self._listen_conn, None
        if conn is not None and not conn.is_closed():
            try:
                async with asyncio.timeout(1.0):
                    await conn.close()
            except Exception:
                conn.terminate()

    async def measure(self) -> None:
        """Count the outbox for the ``stelly.outbox.*`` gauges; never raises.

        After each pass (at most once per :data:`MEASURE_EVERY` seconds), whether
        it relayed or failed: the depth matters most while Redis is down. When
        PostgreSQL is down too the gauges keep their last values.
        """
        self._measure_at = time.monotonic() + self.MEASURE_EVERY
        instruments()  # the gauges exist once the instruments are made for the provider
        try:
            async with asyncio.timeout(self.MEASURE_TIMEOUT), self._db.pool.acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT count(*) AS depth, COALESCE(EXTRACT(EPOCH FROM"
                    " clock_timestamp() - min(created_at)), 0)::float8 AS age"
                    " FROM public.event_outbox"
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            _log.debug("outbox relay cannot measure the outbox: %s", _describe(exc))
            return
        assert row is not None
        OUTBOX_DEPTH.set(row["depth"])
        OUTBOX_OLDEST_AGE.set(max(0.0, row["age"]))

    async def relay_once(self) -> int:
        """Relay one batch; returns how many events went out.

        Raises:
            RedisError: when Redis failed; what it accepted left the outbox, the rest stays.
            TimeoutError: when the batch took longer than ``timeout``.
            asyncpg.PostgresError: when PostgreSQL failed; the batch stays.
        """
        async with asyncio.timeout(self._timeout):
            return await self._relay_batch()

    async def _relay_batch(self) -> int:
        failure: Exception | None = None
        sent: list[int] = []
        async with self._db.pool.acquire() as conn, conn.transaction():
            locked = await conn.fetchval(
                "SELECT pg_try_advisory_xact_lock($1)"
                " AND set_config('idle_in_transaction_session_timeout', $2, true) IS NOT NULL",
                self.LOCK,
                str(self.IDLE_IN_TRANSACTION_MS),
            )
            self._held_lock = bool(locked)
            if not locked:
                return 0
            rows = await conn.fetch(
                "SELECT id, tenant_id, channel, type, data, traceparent FROM public.event_outbox"
                " ORDER BY id LIMIT $1",
                self._batch,
            )
            for row in rows:
                try:
                    await self._publish(row)
                except (RedisError, OSError) as exc:
                    failure = exc
                    break
                sent.append(row["id"])
            if sent:
                # exactly these ids: a row committed meanwhile is relayed next time
                await conn.execute(
                    "DELETE FROM public.event_outbox WHERE id = ANY($1::bigint[])", sent
                )
        if failure is not None:
            raise failure
        return len(sent)

    async def _publish(self, row: asyncpg.Record) -> None:
        event_type = row["type"]
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        key = channel_key(row["tenant_id"], row["channel"])
        parent = context_from_traceparent(row["traceparent"])
        if parent is None:
            await self._send(key, event_type, row["data"], "")
            return
        # the row's context replaces the relay's own (which suppresses instrumentation)
        token = otel_context.attach(parent)
        try:
            with _tracer.start_as_current_span(
                f"publish {channel_template(row['channel'])}", kind=trace.SpanKind.PRODUCER
            ) as span:
                offset = await self._send(key, event_type, row["data"], current_traceparent() or "")
                if span.is_recording():
                    span.set_attributes(
                        {
                            "messaging.system": "redis",
                            "messaging.operation.name": "publish",
                            "messaging.operation.type": "send",
                            "messaging.destination.name": key,
                            "messaging.destination.template": channel_template(row["channel"]),
                            "messaging.message.id": offset,
                            "stelly.event.type": event_type,
                        }
                    )
        finally:
            otel_context.detach(token)

    async def _send(self, key: str, event_type: str, data: str, traceparent: str) -> str:
        min_id = int(time.time() * 1000) - RETENTION_SECONDS * 1000
        offset = await self._script(
            keys=[key],
            args=[
                event_type,
                data.encode(),
                min_id,
                MAX_STREAM_LENGTH,
                RETENTION_SECONDS * 1000,
                traceparent,
            ],
        )
        return offset.decode() if isinstance(offset, bytes) else str(offset)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
