"""The Redis Streams job queue against the session's real Valkey."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis
from stelly_core.cachekeys import platform_key
from stelly_media.jobs import ImageJob
from stelly_media.jobs.redis_streams import GROUP, RedisStreamQueue

pytestmark = pytest.mark.redis_cluster  # each test on standalone and cluster-mode Valkey


def _queues(redis: Redis, claim_idle: float = 1.0) -> tuple[RedisStreamQueue, RedisStreamQueue]:
    # claim_idle 1 s: wide enough that a loaded machine's pauses between two
    # calls never pass for idleness, short enough to wait out in a test
    # hash-tagged like the real streams, so dead_letter's MULTI/EXEC stays in one slot
    owner = f"test-{uuid.uuid4().hex}"
    make = lambda name: RedisStreamQueue(  # noqa: E731
        redis,
        consumer=name,
        claim_idle=claim_idle,
        stream=platform_key(owner, "jobs", tagged=True),
        dead_letter_stream=platform_key(owner, "jobs", "dead", tagged=True),
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
    await asyncio.sleep(1.2)
    taken = await b.receive(wait_seconds=0.05)
    assert taken is not None and taken.job == job and taken.delivery_count == 2
    pending = await redis.xpending_range(a.stream, "media-workers", min="-", max="+", count=10)
    assert [p["consumer"] for p in pending] == [b"b"]


async def test_renewal_keeps_a_live_consumers_job(redis: Redis) -> None:
    a, b = _queues(redis)
    await a.enqueue(ImageJob(tenant_id=3, image_id=uuid.uuid4()))
    held = await a.receive(wait_seconds=0.1)
    assert held is not None
    for _ in range(3):  # 1.2 s in all, past claim_idle, renewed within it each time
        await asyncio.sleep(0.4)
        await a.renew(held)
    assert await b.receive(wait_seconds=0.05) is None
    await asyncio.sleep(1.2)
    assert await b.receive(wait_seconds=0.05) is not None  # without renewal it goes


async def test_dead_letter_moves_the_job_with_its_reason(redis: Redis) -> None:
    # claim_idle long: the second receive must read the garbage, not take the first job back
    a, _ = _queues(redis, claim_idle=60)
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


async def test_a_released_job_is_taken_at_once_and_not_counted(redis: Redis) -> None:
    """A stopping worker hands its job back: no claim_idle wait, no delivery spent."""
    a, b = _queues(redis, claim_idle=60)
    job = ImageJob(tenant_id=3, image_id=uuid.uuid4())
    await a.enqueue(job)
    held = await a.receive(wait_seconds=0.1)
    assert held is not None and held.delivery_count == 1
    assert await b.receive(wait_seconds=0.05) is None  # held: b would wait 60 s
    await a.release(held)
    taken = await b.receive(wait_seconds=0.05)
    assert taken is not None and taken.job == job and taken.delivery_count == 1
    await b.release(taken)  # and back again: hand-backs never add up
    again = await a.receive(wait_seconds=0.05)
    assert again is not None and again.job == job and again.delivery_count == 1
    pending = await redis.xpending_range(a.stream, GROUP, min="-", max="+", count=10)
    assert [(p["consumer"], p["times_delivered"]) for p in pending] == [(b"a", 1)]


async def test_a_stale_release_leaves_the_new_holder_alone(redis: Redis) -> None:
    a, b = _queues(redis, claim_idle=0.1)
    await a.enqueue(ImageJob(tenant_id=3, image_id=uuid.uuid4()))
    held = await a.receive(wait_seconds=0.1)
    assert held is not None
    await asyncio.sleep(0.2)
    assert await b.receive(wait_seconds=0.05) is not None  # a lost it to b meanwhile
    await a.release(held)
    pending = await redis.xpending_range(a.stream, GROUP, min="-", max="+", count=10)
    assert [(p["consumer"], p["times_delivered"]) for p in pending] == [(b"b", 2)]
    assert pending[0]["time_since_delivered"] < 60_000  # not made idle: b keeps it


async def test_a_waiting_receive_wakes_for_a_new_job(redis: Redis) -> None:
    a, b = _queues(redis, claim_idle=60)
    await a.enqueue(ImageJob(tenant_id=3, image_id=uuid.uuid4()))
    first = await a.receive(wait_seconds=0.1)  # the stream now holds an entry, pending at a
    assert first is not None
    waiting = asyncio.ensure_future(b.receive(wait_seconds=30))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    job = ImageJob(tenant_id=4, image_id=uuid.uuid4())
    await a.enqueue(job)
    got = await asyncio.wait_for(waiting, timeout=20)  # long before its 30 s wait ends
    assert got is not None and got.job == job and got.delivery_count == 1


async def test_a_cancelled_wait_claims_nothing(redis: Redis) -> None:
    a, b = _queues(redis, claim_idle=60)
    waiting = asyncio.ensure_future(a.receive(wait_seconds=30))
    await asyncio.sleep(0.2)
    waiting.cancel()
    await asyncio.wait({waiting})
    job = ImageJob(tenant_id=3, image_id=uuid.uuid4())
    await b.enqueue(job)
    taken = await b.receive(wait_seconds=0.1)
    assert taken is not None and taken.job == job and taken.delivery_count == 1


async def test_a_claim_in_flight_when_cancelled_is_handed_back(redis: Redis) -> None:
    """The reply of a cancelled XREADGROUP is lost, not the job: it goes back at once."""
    a, b = _queues(redis, claim_idle=60)
    job = ImageJob(tenant_id=3, image_id=uuid.uuid4())
    await a.enqueue(job)  # also makes the group, so the receive goes straight to claiming
    receiving = asyncio.ensure_future(a.receive(wait_seconds=30))
    await asyncio.sleep(0)  # the claim is sent; its reply cannot be back yet
    receiving.cancel()
    await asyncio.wait({receiving})
    assert receiving.cancelled()
    # a did claim it, and handed it back: pending at a, idle "since the epoch", uncounted
    pending = await redis.xpending_range(a.stream, GROUP, min="-", max="+", count=10)
    assert [(p["consumer"], p["times_delivered"]) for p in pending] == [(b"a", 0)]
    assert pending[0]["time_since_delivered"] > 365 * 24 * 3600 * 1000
    taken = await b.receive(wait_seconds=0.05)
    assert taken is not None and taken.job == job and taken.delivery_count == 1
