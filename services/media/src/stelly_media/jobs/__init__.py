"""Image jobs and the queue backends that carry them (``STELLY_QUEUE``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stelly_core.settings import QueueBackend

from stelly_media.jobs.base import ImageJob, JobQueue, MalformedJob, ReceivedJob

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from stelly_core.settings import Settings

__all__ = ["ImageJob", "JobQueue", "MalformedJob", "ReceivedJob", "open_queue"]


def open_queue(
    settings: Settings, redis: Redis, *, consumer: str | None = None, claim_idle: float = 60.0
) -> JobQueue:
    """The queue ``STELLY_QUEUE`` names.

    Args:
        settings: the process settings.
        redis: the process's Redis client (used by the ``redis`` backend).
        consumer: this worker's consumer name (Redis Streams).
        claim_idle: seconds after which a pending job is taken from its holder.
    """
    if settings.queue is QueueBackend.SERVICEBUS:
        from stelly_media.jobs.servicebus import ServiceBusJobQueue

        return ServiceBusJobQueue.from_settings(settings)
    from stelly_media.jobs.redis_streams import RedisStreamQueue

    return RedisStreamQueue(redis, consumer=consumer, claim_idle=claim_idle)
