"""A Redis pub/sub subscription that outlives Redis outages.

A background task that (re)subscribes with backoff, calls ``on_connect``
after every (re)subscription (messages may have been missed meanwhile) and
``on_message`` for each message. Stopping cancels until the task has really
ended: redis-py can turn a cancellation during connect into a connection
error.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from redis.asyncio import Redis

__all__ = ["PubSubListener"]

_log = logging.getLogger("stelly.pubsub")


class PubSubListener:
    """Listen on channels and/or patterns until stopped, whatever Redis does."""

    def __init__(
        self,
        redis: Redis,
        on_message: Callable[[bytes, bytes], Awaitable[None] | None],
        *,
        channels: Sequence[str] = (),
        patterns: Sequence[str] = (),
        on_connect: Callable[[], None] | None = None,
        name: str = "pubsub-listener",
    ) -> None:
        self._redis = redis
        self._on_message = on_message
        self._channels = tuple(channels)
        self._patterns = tuple(patterns)
        self._on_connect = on_connect
        self._name = name
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.subscribed = asyncio.Event()

    def start(self) -> None:
        """Start listening in the background."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Stop listening."""
        self._stopping = True
        task, self._task = self._task, None
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
                    if self._channels:
                        await pubsub.subscribe(*self._channels)
                    if self._patterns:
                        await pubsub.psubscribe(*self._patterns)
                    if self._on_connect is not None:
                        self._on_connect()
                    self.subscribed.set()
                    delay = 0.2
                    async for message in pubsub.listen():
                        await self._deliver(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.subscribed.clear()
                if self._stopping:
                    return
                _log.warning("%s lost Redis: %s", self._name, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _deliver(self, message: dict[str, Any]) -> None:
        result = self._on_message(message["channel"], message["data"])
        if inspect.isawaitable(result):
            await result
