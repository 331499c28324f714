"""Invalidate the menu cache from the relayed ``menu.updated`` events.

API writes invalidate the cache themselves right after they commit. A change
made any other way (``stelly seed-demo``, another replica whose Redis call
failed, a script) still goes through the outbox: when the relay publishes its
``menu.updated``, every menu process hears it here and raises the tenant's
cache floor to the new version. Doing it N times across N replicas is
harmless; the operation is idempotent.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import msgspec
from stelly_core.pubsub import PubSubListener

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from stelly_menu.domain.menu.cache import MenuCache

__all__ = ["MENU_EVENTS_PATTERN", "MenuEventListener", "parse_menu_event"]

MENU_EVENTS_PATTERN = "t:*:ev:menu"
_CHANNEL = re.compile(r"^t:([1-9][0-9]{0,18}):ev:menu$")


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


class MenuEventListener(PubSubListener):
    """A background task applying published menu versions to the cache."""

    def __init__(self, redis: Redis, cache: MenuCache) -> None:
        async def on_message(channel: bytes, data: bytes) -> None:
            parsed = parse_menu_event(channel, data)
            if parsed is not None:
                await cache.invalidate(*parsed)

        super().__init__(
            redis, on_message, patterns=(MENU_EVENTS_PATTERN,), name="menu-event-listener"
        )
