"""Cross-replica invalidation of the tenant cache through Redis pub/sub.

A tenant change publishes on one channel; every process listening drops its
cached resolutions. A listener that loses Redis clears its cache when it
reconnects (it may have missed messages) and meanwhile the cache TTL bounds
how stale an entry can be.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from stelly_core.pubsub import PubSubListener

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis.asyncio import Redis

__all__ = ["CHANNEL", "InvalidationListener", "publish_tenant_change"]

CHANNEL = "stelly:tenants:changed"
_log = logging.getLogger("stelly.tenancy.invalidation")


async def publish_tenant_change(redis: Redis | None, tenant_id: int) -> bool:
    """Tell every replica that a tenant changed.

    Args:
        redis: the Redis client; ``None`` skips publishing.
        tenant_id: the tenant that changed.

    Returns:
        Whether the message was published; when not, caches expire by TTL.
    """
    if redis is None:
        return False
    try:
        await redis.publish(CHANNEL, str(tenant_id))
    except (RedisError, OSError) as exc:
        _log.warning("tenant change not broadcast (caches expire by TTL): %s", exc)
        return False
    return True


class InvalidationListener(PubSubListener):
    """Calls ``on_change`` for every tenant change, and after every (re)connect."""

    def __init__(self, redis: Redis, on_change: Callable[[], None]) -> None:
        super().__init__(
            redis,
            lambda _channel, _data: on_change(),
            channels=(CHANNEL,),
            on_connect=on_change,  # anything may have changed while we were not listening
            name="tenant-invalidation",
        )
