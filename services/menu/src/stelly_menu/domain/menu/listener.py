"""Invalidate the menu cache from the relayed ``menu.updated`` events.

API writes invalidate the cache themselves right after they commit. A change
made any other way (``stelly seed-demo``, another replica whose Redis call
failed, a script) still goes through the outbox: when the relay publishes its
``menu.updated``, every menu process hears it here and raises the tenant's
cache floor to the new version. Doing it N times across N replicas is
harmless; the operation is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from stelly_menu.domain.menu.cache import MenuCache

__all__ = ["MENU_EVENTS_PATTERN", "MenuEventListener", "parse_menu_event"]

MENU_EVENTS_PATTERN = "t:*:ev:menu"
_CHANNEL = re.compile(r"^t:([1-9][0-9]{0,18}):ev:menu$")
_log = logging.getLogger("stelly.menu.events")


class _Published(msgspec.Struct):
    type: str
    data: dict[str, object]


def parse_menu_event(channel: bytes | str, payload: bytes | str) -> tuple[int, int] | None:
    """``(tenant_id, version)`` of a published ``menu.updated``, else ``None``."""
    name = channel.decode() if isinstance(channel, bytes) else channel
    match = _CHANNEL.fullmatch(name)
    if match is None:
        return None
    try:
        event = msgspec.json.decode(payload, type=_Published)
    except msgspec.DecodeError:
        return None
    version = event.data.get("version")
    if event.type != "menu.updated" or not isinstance(version, int):
        return None
    return int(match.group(1)), version


class MenuEventListener:
    """A background task applying published menu versions to the cache."""

    def __init__(self, redis: Redis, cache: MenuCache) -> None:
        self._redis = redis
        self._cache = cache
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="menu-event-listener")

    async def stop(self) -> None:
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
                    await pubsub.psubscribe(MENU_EVENTS_PATTERN)
                    self.subscribed.set()
                    delay = 0.2
                    async for message in pubsub.listen():
                        parsed = parse_menu_event(message["channel"], message["data"])
                        if parsed is not None:
                            await self._cache.invalidate(*parsed)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.subscribed.clear()
                _log.warning("menu event listener lost Redis: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
