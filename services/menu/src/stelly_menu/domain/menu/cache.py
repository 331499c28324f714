"""The published menu, pre-encoded in Redis with its strong ETag.

One key holds ``{version} {etag}\\n{json}``; a second holds the *floor*, the
newest version any writer has committed. A read takes both in one ``MGET``
and trusts the payload only if its version is not below the floor, so a
write is visible to the next read on every replica even if a slow reader
re-fills the cache with an older menu afterwards (its ``SET`` is refused by
the same check, atomically, in Lua). The payload also expires, which bounds
staleness when Redis was unreachable at the moment of a write.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import msgspec
from stelly_core.cachekeys import tenant_key

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from stelly_menu.domain.menu.schemas import Menu

__all__ = ["CachedMenu", "MenuCache", "encode_menu", "etag_matches"]

PAYLOAD_TTL = 300
FLOOR_TTL = 7 * 24 * 3600

# KEYS: payload, floor; ARGV: version, payload, ttl
_PUT = """
local floor = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[1]) < floor then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""
# KEYS: payload, floor; ARGV: version, floor ttl
_INVALIDATE = """
local floor = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[1]) > floor then redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2]) end
redis.call('DEL', KEYS[1])
return 1
"""


@dataclass(frozen=True, slots=True)
class CachedMenu:
    version: int
    etag: str
    body: bytes


def encode_menu(menu: Menu) -> CachedMenu:
    """Encode a menu once, with a strong ETag derived from its bytes."""
    body = msgspec.json.encode(menu)
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    return CachedMenu(menu.version, etag, body)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` against our ETag (weak comparison, as RFC 9110 asks)."""
    if not if_none_match:
        return False
    bare = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == bare:
            return True
    return False


class MenuCache:
    """Redis storage of each tenant's published menu."""

    #: After Redis fails, reads skip it for this long instead of waiting on it each time.
    BACKOFF_SECONDS = 1.0

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._skip_until = 0.0
        self._put = redis.register_script(_PUT)
        self._invalidate = redis.register_script(_INVALIDATE)

    @property
    def available(self) -> bool:
        """False for a moment after Redis failed: callers go to the database."""
        return time.monotonic() >= self._skip_until

    def failed(self) -> None:
        """Note that Redis just failed."""
        self._skip_until = time.monotonic() + self.BACKOFF_SECONDS

    @staticmethod
    def _keys(tenant_id: int) -> list[str]:
        return [tenant_key(tenant_id, "menu"), tenant_key(tenant_id, "menu", "floor")]

    async def get(self, tenant_id: int) -> CachedMenu | None:
        """The cached menu if it is current, else ``None``.

        Raises:
            RedisError, OSError: when Redis is unreachable.
        """
        raw, floor = cast("list[bytes | None]", await self._redis.mget(self._keys(tenant_id)))
        if raw is None:
            return None
        head, _, body = raw.partition(b"\n")
        version_text, _, etag = head.partition(b" ")
        version = int(version_text)
        if floor is not None and version < int(floor):
            return None
        return CachedMenu(version, etag.decode(), body)

    async def put(self, tenant_id: int, menu: CachedMenu) -> bool:
        """Store a menu unless a newer version has been committed meanwhile."""
        payload = f"{menu.version} {menu.etag}\n".encode() + menu.body
        stored = await self._put(
            keys=self._keys(tenant_id), args=[menu.version, payload, PAYLOAD_TTL]
        )
        return bool(stored)

    async def invalidate(self, tenant_id: int, version: int) -> None:
        """After a committed change: raise the floor to ``version``, drop the payload."""
        await self._invalidate(keys=self._keys(tenant_id), args=[version, FLOOR_TTL])
