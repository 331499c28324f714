"""Cross-replica invalidation of the tenant cache through Redis pub/sub.

A tenant change publishes on one channel; every process listening drops its
cached resolutions. A listener that loses Redis clears its cache when it
reconnects (it may have missed messages) and meanwhile the cache TTL bounds
how stale an entry can be.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

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


class InvalidationListener:
    """A background task that calls ``on_change`` for every tenant change."""

    def __init__(self, redis: Redis, on_change: Callable[[], None]) -> None:
        self._redis = redis
        self._on_change = on_change
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.subscribed = asyncio.Event()

    def start(self) -> None:
        """Start listening in the background."""
        self._task = asyncio.create_task(self._run(), name="tenant-invalidation")

    async def stop(self) -> None:
        """Stop listening."""
        self._stopping = True
        task, self._task = self._task, None
        # redis-py can turn a cancellation during connect into a connection
        # error, so cancel until the task has really ended.
        while task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.5)
        if task is not None and not task.cancelled():
            with contextlib.suppress(Exception):
                task.result()

    async def _run(self) -> None:
        delay = 0.2
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    # Anything may have changed while we were not listening.
                    self._on_change()
                    self.subscribed.set()
                    delay = 0.2
                    async for _message in pubsub.listen():
                        self._on_change()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.subscribed.clear()
                if self._stopping:
                    return
                _log.warning("tenant invalidation listener lost Redis: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
