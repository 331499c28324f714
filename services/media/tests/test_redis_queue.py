"""The Redis Streams job queue against the session's real Valkey."""

from __future__ import annotations

import asyncio
import uuid

from redis.asyncio import Redis
from stelly_media.jobs import ImageJob
from stelly_media.jobs.redis_streams import RedisStreamQueue


def _queues(redis: Redis, claim_idle: float = 0.2) -> tuple[RedisStreamQueue, RedisStreamQueue]:
    stream = f"p:test:{uuid.uuid4().hex}"
    make = lambda name: RedisStreamQueue(  # noqa: E731
        redis,
        consumer=name,
        claim_idle=claim_idle,
        stream=stream,
        dead_letter_stream=stream + ":dead",
    )
    return make("a"), make("b")


async def test_jobs_sent_before_any_worker_are_received(redis: Redis) -> None:
    a, _ = _queues(redis)
    job = ImageJob(tenant_id=3, image_id=uuid.uuid4())
    await a.enqueue(job)
    received = await a.receive(wait_seconds=0.1)
    assert received is not None and received.job == job and received.delivery_count == 1
    await a.complete(received)
    assert await redis.xlen(a.stream) == 0
    assert await a.receive(wait_seconds=0.05) is None


async def test_a_dead_consumers_job_is_claimed_and_counted(redis: Redis) -> None:
    a, b = _queues(redis)
    job = ImageJob(tenant_id=3, image_id=uuid.uuid4())
    await a.enqueue(job)
    assert (await a.receive(wait_seconds=0.1)) is not None  # a "dies" holding it
    assert await b.receive(wait_seconds=0.05) is None  # not idle long enough yet
    await asyncio.sleep(0.3)
    taken = await b.receive(wait_seconds=0.05)
    assert taken is not None and taken.job == job and taken.delivery_count == 2
    pending = await redis.xpending_range(a.stream, "media-workers", min="-", max="+", count=10)
    assert [p["consumer"] for p in pending] == [b"b"]


async def test_renewal_keeps_a_live_consumers_job(redis: Redis) -> None:
    a, b = _queues(redis)
    await a.enqueue(ImageJob(tenant_id=3, image_id=uuid.uuid4()))
    held = await a.receive(wait_seconds=0.1)
    assert held is not None
    for _ in range(3):
        await asyncio.sleep(0.1)
        await a.renew(held)
    assert await b.receive(wait_seconds=0.05) is None
    await asyncio.sleep(0.3)
    assert await b.receive(wait_seconds=0.05) is not None  # without renewal it goes


async def test_dead_letter_moves_the_job_with_its_reason(redis: Redis) -> None:
    a, _ = _queues(redis)
    await a.enqueue(ImageJob(tenant_id=3, image_id=uuid.uuid4()))
    await redis.xadd(a.stream, {"job": b"garbage"})
    first = await a.receive(wait_seconds=0.1)
    second = await a.receive(wait_seconds=0.1)
    assert first is not None and first.job is not None
    assert second is not None and second.job is None  # undecodable
    await a.dead_letter(second, "malformed")
    dead = await redis.xrange(a.dead_letter_stream)
    assert [(f[b"job"], f[b"reason"]) for _, f in dead] == [(b"garbage", b"malformed")]
    assert (await redis.xpending(a.stream, "media-workers"))["pending"] == 1


async def test_a_lost_stream_gets_its_group_back(redis: Redis) -> None:
    a, _ = _queues(redis)
    await a.enqueue(ImageJob(tenant_id=3, image_id=uuid.uuid4()))
    await redis.delete(a.stream)  # Redis restarted without persistence
    job = ImageJob(tenant_id=4, image_id=uuid.uuid4())
    await redis.xadd(
        a.stream, {"job": b'{"tenant_id":4,"image_id":"%s"}' % str(job.image_id).encode()}
    )
    received = await a.receive(wait_seconds=0.1)
    assert received is not None and received.job == job
