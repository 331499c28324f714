"""Jobs on a Redis stream with a consumer group.

A worker reads new entries with ``XREADGROUP``; an entry stays pending until
``XACK``. Entries another consumer has held for longer than ``claim_idle``
seconds (its worker died, or it failed and left the entry for a retry) are
taken over with ``XAUTOCLAIM``, which counts the delivery. A live worker
resets the idle time of its entry with ``XCLAIM ... JUSTID`` (the lock
renewal of Service Bus). Dead letters go to a second stream.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

from redis.exceptions import ResponseError
from stelly_core.cachekeys import platform_key

from stelly_media.jobs.base import ImageJob, JobQueue, ReceivedJob, encode_job

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["DEAD_LETTER_STREAM", "GROUP", "STREAM", "RedisStreamQueue"]

STREAM = platform_key("media", "jobs")
DEAD_LETTER_STREAM = platform_key("media", "jobs", "dead")
GROUP = "media-workers"
#: Dead letters kept for inspection.
DEAD_LETTER_MAXLEN = 100_000


def default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class RedisStreamQueue(JobQueue):
    """:class:`JobQueue` on Redis Streams."""

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
        await self._redis.xadd(self.stream, {"job": encode_job(job)})

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
        claimed: Any = await self._redis.xautoclaim(
            self.stream, GROUP, self.consumer, self.claim_idle_ms, start_id="0-0", count=1
        )
        entries = claimed[1] if claimed else []
        if entries:
            entry_id, fields = entries[0]
            if fields is None:  # deleted while pending
                await self._redis.xack(self.stream, GROUP, entry_id)
                return None
            return self.decode(fields.get(b"job", b""), await self._deliveries(entry_id), entry_id)
        response: Any = await self._redis.xreadgroup(
            GROUP,
            self.consumer,
            {self.stream: ">"},
            count=1,
            block=max(1, int(wait_seconds * 1000)),
        )
        for _stream, stream_entries in response or []:
            for entry_id, fields in stream_entries:
                return self.decode(fields.get(b"job", b""), 1, entry_id)
        return None

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

    async def renew(self, received: ReceivedJob) -> None:
        await self._redis.xclaim(
            self.stream, GROUP, self.consumer, 0, [received.handle], justid=True
        )
