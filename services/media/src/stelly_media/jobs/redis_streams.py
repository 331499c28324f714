"""Jobs on a Redis stream with a consumer group.

A worker reads new entries with ``XREADGROUP``; an entry stays pending until
``XACK``. Entries another consumer has held for longer than ``claim_idle``
seconds (its worker died, or it failed and left the entry for a retry) are
taken over with ``XAUTOCLAIM``, which counts the delivery. A live worker
resets the idle time of its entry with ``XCLAIM ... JUSTID`` (the lock
renewal of Service Bus). Dead letters go to a second stream.

Invariants of :meth:`RedisStreamQueue.receive`, which the worker's drain
relies on:

- Waiting claims nothing. The wait for a new entry is a plain ``XREAD
  BLOCK`` (read-only); claiming (``XAUTOCLAIM``, then ``XREADGROUP`` without
  ``BLOCK``) happens only before and after it, and takes milliseconds. So
  cancelling a receive that is waiting loses nothing.
- A claim already sent when the receive is cancelled is seen through (a
  cancelled command's reply would be lost, the entry left pending here until
  ``claim_idle``), and the entry it took is handed back.

A hand-back (:meth:`RedisStreamQueue.release`) makes the entry look idle
since the epoch (``XCLAIM ... TIME 0``), so the next ``XAUTOCLAIM`` of any
consumer, whatever its ``claim_idle``, takes it; the entry keeps its place
at the head of the pending list, ahead of newer jobs. It is not a failed
delivery: its delivery count is set back by one (``RETRYCOUNT``), so the
takeover's increment leaves it where it was before this delivery, and hand-
backs never push a job toward the dead-letter stream. It is one Lua call
that first checks that the entry is still pending *here*, so a hand-back
never disturbs an entry another worker has taken since.

An entry carries the sender's trace context in a ``traceparent`` field
(:mod:`stelly_media.jobs.tracing`); entries without one are read as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from typing import TYPE_CHECKING, Any

from redis.exceptions import ResponseError
from stelly_core.cachekeys import platform_key

from stelly_media.jobs.base import ImageJob, JobQueue, QueueDepth, ReceivedJob, encode_job
from stelly_media.jobs.tracing import carried_traceparent, sending_job

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["DEAD_LETTER_STREAM", "GROUP", "STREAM", "RedisStreamQueue"]

#: One hash slot for both streams (``{media}``): :meth:`RedisStreamQueue.dead_letter`
#: moves an entry from one to the other in one ``MULTI``/``EXEC``, which a Redis in
#: cluster mode refuses (``CROSSSLOT``) for keys in different slots.
STREAM = platform_key("media", "jobs", tagged=True)
DEAD_LETTER_STREAM = platform_key("media", "jobs", "dead", tagged=True)
GROUP = "media-workers"
#: Dead letters kept for inspection.
DEAD_LETTER_MAXLEN = 100_000

#: KEYS: stream; ARGV: group, entry id, consumer. Hand the entry back if this
#: consumer still holds it: idle since the epoch, delivery count one less.
_RELEASE = """
local held = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if #held == 0 then return 0 end
local count = tonumber(held[1][4]) - 1
if count < 0 then count = 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2],
           'TIME', 0, 'RETRYCOUNT', count, 'JUSTID')
return 1
"""


def default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class RedisStreamQueue(JobQueue):
    """:class:`JobQueue` on Redis Streams."""

    messaging_system = "redis"

    def __init__(
        self,
        redis: Redis,
        *,
        consumer: str | None = None,
        claim_idle: float = 60.0,
        stream: str = STREAM,
        dead_letter_stream: str = DEAD_LETTER_STREAM,
    ) -> None:
        self._redis = redis
        self.consumer = consumer or default_consumer()
        self.claim_idle_ms = max(1, int(claim_idle * 1000))
        self.stream = stream
        self.dead_letter_stream = dead_letter_stream
        self._group_ready = False
        self._release = redis.register_script(_RELEASE)
        # a blocking read must return before the client's socket timeout fires
        timeout = redis.connection_pool.connection_kwargs.get("socket_timeout")
        self._max_block = max(0.1, float(timeout) - 1.0) if timeout else None

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            # from the start of the stream: jobs sent before any worker existed count
            await self._redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def enqueue(self, job: ImageJob) -> None:
        await self._ensure_group()
        with sending_job("redis") as traceparent:
            fields = {"job": encode_job(job)}
            if traceparent is not None:
                fields["traceparent"] = traceparent.encode()
            await self._redis.xadd(self.stream, fields)  # type: ignore[arg-type]

    async def _deliveries(self, entry_id: Any) -> int:
        pending = await self._redis.xpending_range(
            self.stream, GROUP, min=entry_id, max=entry_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 1

    async def receive(self, wait_seconds: float) -> ReceivedJob | None:
        try:
            return await self._receive(wait_seconds)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # the stream was lost (a Redis without persistence restarted): recreate the
            # group from the start, so that jobs added since are not skipped
            self._group_ready = False
            return await self._receive(wait_seconds)

    async def _receive(self, wait_seconds: float) -> ReceivedJob | None:
        await self._ensure_group()
        received, newest = await self._claim_seen_through()
        if received is not None:
            return received
        deadline = time.monotonic() + wait_seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._max_block is not None:
                left = min(left, self._max_block)
            # read-only: cancelled here, nothing is lost
            if await self._redis.xread(
                {self.stream: newest}, count=1, block=max(1, int(left * 1000))
            ):
                break
        return (await self._claim_seen_through())[0]

    async def _claim_seen_through(self) -> tuple[ReceivedJob | None, bytes]:
        """:meth:`_claim`, finished even when the caller is cancelled meanwhile.

        A cancelled command's reply is lost while Redis has already made the
        entry ours; so the claim runs on, and what it took is handed back.
        """
        claim = asyncio.ensure_future(self._claim())
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                received, _ = await claim
                if received is not None:
                    await self.release(received)
            raise

    async def _claim(self) -> tuple[ReceivedJob | None, bytes]:
        """Take one entry now, without blocking: one left idle, else a new one.

        Returns:
            The delivery, or ``None`` and the newest entry id in the stream
            (every entry up to it is delivered, so any later one is new).
        """
        claimed: Any = await self._redis.xautoclaim(
            self.stream, GROUP, self.consumer, self.claim_idle_ms, start_id="0-0", count=1
        )
        for entry_id, fields in claimed[1] if claimed else []:
            if fields is None:  # deleted while pending
                await self._redis.xack(self.stream, GROUP, entry_id)
                break
            received = self.decode(
                fields.get(b"job", b""),
                await self._deliveries(entry_id),
                entry_id,
                carried_traceparent(fields.get(b"traceparent")),
            )
            return received, entry_id
        async with self._redis.pipeline(transaction=True) as pipe:
            # atomic: no entry can be added between the read and the newest id
            pipe.xreadgroup(GROUP, self.consumer, {self.stream: ">"}, count=1)
            pipe.xrevrange(self.stream, count=1)
            response, newest = await pipe.execute()
        for _stream, stream_entries in response or []:
            for entry_id, fields in stream_entries:
                traceparent = carried_traceparent(fields.get(b"traceparent"))
                return self.decode(fields.get(b"job", b""), 1, entry_id, traceparent), entry_id
        return None, newest[0][0] if newest else b"0-0"

    async def complete(self, received: ReceivedJob) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, GROUP, received.handle)
            pipe.xdel(self.stream, received.handle)
            await pipe.execute()

    async def retry(self, received: ReceivedJob) -> None:
        # left pending: once idle for claim_idle, the next receive() takes it again
        return None

    async def dead_letter(self, received: ReceivedJob, reason: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.dead_letter_stream,
                {
                    "job": received.raw,
                    "reason": reason[:1000],
                    "deliveries": received.delivery_count,
                    "source_id": received.handle,
                },
                maxlen=DEAD_LETTER_MAXLEN,
                approximate=True,
            )
            pipe.xack(self.stream, GROUP, received.handle)
            pipe.xdel(self.stream, received.handle)
            await pipe.execute()

    async def release(self, received: ReceivedJob) -> None:
        await self._release(keys=[self.stream], args=[GROUP, received.handle, self.consumer])

    async def renew(self, received: ReceivedJob) -> None:
        await self._redis.xclaim(
            self.stream, GROUP, self.consumer, 0, [received.handle], justid=True
        )

    async def depth(self) -> QueueDepth:
        # a settled entry is deleted, so the stream holds exactly the unsettled jobs
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.stream)
            pipe.xpending(self.stream, GROUP)
            length, pending = await pipe.execute(raise_on_error=False)
        if isinstance(length, Exception):
            raise length
        held = 0 if isinstance(pending, Exception) else int(pending["pending"])  # no group yet
        return QueueDepth(waiting=max(0, int(length) - held), pending=held)
