"""The worker's metric instruments: queue depth and job duration, on real Valkey, PostgreSQL and Azurite."""

from __future__ import annotations

import uuid
from typing import Any

from redis.asyncio import Redis
from stelly_core.cachekeys import platform_key
from stelly_core.db import Database
from stelly_media.jobs import ImageJob
from stelly_media.jobs.redis_streams import RedisStreamQueue
from stelly_media.storage import BlobStore
from stelly_media.worker import Worker

REDIS_JOBS = {"messaging.system": "redis", "messaging.destination.name": "media-jobs"}


def _queue(redis: Redis) -> RedisStreamQueue:
    owner = f"test-{uuid.uuid4().hex}"
    return RedisStreamQueue(
        redis,
        consumer="metrics",
        stream=platform_key(owner, "jobs", tagged=True),
        dead_letter_stream=platform_key(owner, "jobs", "dead", tagged=True),
    )


async def test_the_queue_gauge_counts_waiting_and_held_jobs(
    db: Database, redis: Redis, store: BlobStore, metric_readings: Any
) -> None:
    queue = _queue(redis)
    worker = Worker(db, redis, store, queue)
    await worker.measure_queue()  # no stream yet: an empty queue
    waiting = {**REDIS_JOBS, "stelly.queue.state": "waiting"}
    pending = {**REDIS_JOBS, "stelly.queue.state": "pending"}
    assert metric_readings.value("stelly.queue.depth", waiting) == 0
    for _ in range(3):
        await queue.enqueue(ImageJob(tenant_id=1, image_id=uuid.uuid4()))
    held = await queue.receive(wait_seconds=0.1)
    assert held is not None
    assert metric_readings.value("stelly.queue.depth", waiting) == 0  # only the loop measures
    await worker.measure_queue()
    assert metric_readings.value("stelly.queue.depth", waiting) == 2
    assert metric_readings.value("stelly.queue.depth", pending) == 1
    await queue.complete(held)
    await worker.measure_queue()
    assert metric_readings.value("stelly.queue.depth", pending) == 0


async def test_each_handled_job_is_one_duration_observation(
    db: Database, redis: Redis, store: BlobStore, metric_readings: Any
) -> None:
    queue = _queue(redis)
    worker = Worker(db, redis, store, queue)
    # a job for a tenant that does not exist is dropped (completed); a malformed one dead-lettered
    await queue.enqueue(ImageJob(tenant_id=2_000_000_000, image_id=uuid.uuid4()))
    await redis.xadd(queue.stream, {"job": b"not a job"})
    for _ in range(2):
        received = await queue.receive(wait_seconds=0.1)
        assert received is not None
        await worker.handle(received)
    assert await redis.xlen(queue.stream) == 0
    assert await redis.xlen(queue.dead_letter_stream) == 1
    processed = {**REDIS_JOBS, "messaging.operation.name": "process"}
    assert metric_readings.value("messaging.process.duration", processed) == 2
    data = metric_readings.reader.get_metrics_data()
    metric = next(
        m
        for m in data.resource_metrics[0].scope_metrics[0].metrics
        if m.name == "messaging.process.duration"
    )
    assert metric.unit == "s"
    (point,) = metric.data.data_points
    assert point.sum > 0 and "error.type" not in point.attributes
