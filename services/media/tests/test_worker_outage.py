"""A job that meets a dependency outage is retried within seconds, not after ``claim_idle``.

Real Valkey (Redis Streams), PostgreSQL and Azurite; the outage is the
exception asyncpg raises while PostgreSQL shuts down, thrown by the job's
processing on its first attempt.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from redis.asyncio import Redis
from stelly_core.cachekeys import platform_key
from stelly_core.db import Database
from stelly_media.jobs import ImageJob
from stelly_media.jobs.redis_streams import RedisStreamQueue
from stelly_media.storage import BlobStore
from stelly_media.worker import OUTAGE_RETRY_SECONDS, Worker


def _queue(redis: Redis) -> RedisStreamQueue:
    """A queue of this test's own, where a failed attempt would wait ten minutes (``claim_idle``)."""
    owner = f"test-{uuid.uuid4().hex}"
    return RedisStreamQueue(
        redis,
        consumer="outage",
        stream=platform_key(owner, "jobs", tagged=True),
        dead_letter_stream=platform_key(owner, "jobs", "dead", tagged=True),
        claim_idle=600.0,
    )


async def test_an_outage_hands_the_job_back_uncounted(
    db: Database, redis: Redis, store: BlobStore
) -> None:
    queue = _queue(redis)
    worker = Worker(db, redis, store, queue, max_deliveries=1)
    attempts: list[ImageJob] = []

    async def process(job: ImageJob) -> None:
        attempts.append(job)
        if len(attempts) == 1:
            raise asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")

    worker.process = process  # type: ignore[method-assign]
    job = ImageJob(tenant_id=1, image_id=uuid.uuid4())
    await queue.enqueue(job)
    first = await queue.receive(wait_seconds=1)
    assert first is not None
    started = time.monotonic()
    await worker.handle(first)
    again = await asyncio.wait_for(queue.receive(wait_seconds=1), timeout=5)
    assert again is not None and again.job == job
    assert time.monotonic() - started < OUTAGE_RETRY_SECONDS + 3  # not claim_idle's 600 s
    # not counted: with max_deliveries=1 a counted failure would have dead-lettered it
    assert again.delivery_count == first.delivery_count
    await worker.handle(again)
    assert len(attempts) == 2
    assert await redis.xlen(queue.dead_letter_stream) == 0
    assert await redis.xlen(queue.stream) == 0  # completed


async def test_a_failure_that_is_no_outage_still_waits_for_claim_idle(
    db: Database, redis: Redis, store: BlobStore
) -> None:
    queue = _queue(redis)
    worker = Worker(db, redis, store, queue, max_deliveries=3)

    async def process(job: ImageJob) -> None:
        raise ValueError("a bug in the job")

    worker.process = process  # type: ignore[method-assign]
    await queue.enqueue(ImageJob(tenant_id=1, image_id=uuid.uuid4()))
    first = await queue.receive(wait_seconds=1)
    assert first is not None
    await worker.handle(first)
    assert await queue.receive(wait_seconds=0.5) is None  # left pending for claim_idle
