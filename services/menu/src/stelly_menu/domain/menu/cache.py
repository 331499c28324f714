"""The published menu, pre-encoded in Redis with its strong ETag.

One key holds ``{version} {etag}\\n{json}``; a second holds the *floor*, the
newest version any writer has committed. A writer raises the floor and
deletes the payload in one Lua call; a reader re-filling the cache sets the
payload only if its version is not below the floor, also in Lua. So a write
is visible to the next read on every replica even if a slow reader tries to
put back an older menu afterwards, and a read is a single ``GET``. The payload also expires, which bounds
staleness when Redis was unreachable at the moment of a write.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import time
from typing import TYPE_CHECKING, cast

import msgspec
from stelly_core.cachekeys import tenant_key

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from litestar.types import (
        ASGIApp,
        HTTPResponseBodyEvent,
        HTTPResponseStartEvent,
        Receive,
        Scope,
        Send,
    )
    from redis.asyncio import Redis

    from stelly_menu.domain.menu.schemas import Menu

__all__ = ["MENU_CACHE_CONTROL", "CachedMenu", "MenuCache", "encode_menu", "etag_matches"]

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


#: Edges and browsers may keep the menu but must revalidate it (a cheap 304),
#: so that a write is visible to the next read.
MENU_CACHE_CONTROL = "public, no-cache"


class CachedMenu:
    """One encoded menu version, with its response headers built once.

    One is made per Redis read and shared by every request that read serves.
    """

    __slots__ = ("body", "etag", "headers_200", "headers_304", "version")

    def __init__(self, version: int, etag: str, body: bytes) -> None:
        self.version = version
        self.etag = etag
        self.body = body
        common = (
            (b"etag", etag.encode("latin-1")),
            (b"cache-control", MENU_CACHE_CONTROL.encode()),
        )
        self.headers_304: tuple[tuple[bytes, bytes], ...] = common
        self.headers_200: tuple[tuple[bytes, bytes], ...] = (
            *common,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CachedMenu):
            return NotImplemented
        return (self.version, self.etag, self.body) == (other.version, other.etag, other.body)

    def __repr__(self) -> str:
        return f"CachedMenu(version={self.version}, etag={self.etag}, {len(self.body)} bytes)"

    def response(self, *, not_modified: bool) -> ASGIApp:
        """This menu as a whole HTTP response (an ASGI app): 200 with the body, or 304."""

        async def send_response(scope: Scope, receive: Receive, send: Send) -> None:
            await self.send(send, not_modified=not_modified)

        return send_response

    async def send(self, send: Send, *, not_modified: bool) -> None:
        """Send this menu as the whole HTTP response: 200 with the body, or 304."""
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 304 if not_modified else 200,
            "headers": list(self.headers_304 if not_modified else self.headers_200),
        }
        await send(start)
        body: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": b"" if not_modified else self.body,
            "more_body": False,
        }
        await send(body)


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


class _Flight:
    __slots__ = ("context", "waiters")

    def __init__(self) -> None:
        self.waiters: list[asyncio.Future[CachedMenu | None]] = []
        #: the first waiter's context: the round trip runs (and is traced) in it
        self.context: contextvars.Context | None = None


class _Flights:
    """Concurrent reads of one tenant's menu share Redis round trips.

    A read never joins a round trip that was already under way when it
    arrived (that one may predate a write the reader has seen complete); it
    waits for the next, which starts as soon as the current one ends and
    serves everyone who arrived meanwhile. Under load that is one round trip
    per batch instead of one per request; alone, a read costs one round trip.

    A round trip belongs to one of the requests it serves: the one that
    started it, or for a handed-over one the first that waits for it. It
    runs in that request's context (its trace, its request id), never in
    the context of the request that happened to hand it over: a task
    inherits its creator's context, and a chain of hand-overs under steady
    load would otherwise carry one request's trace forever, with every
    later round trip recorded in it.
    """

    def __init__(self, fetch: Callable[[int], Awaitable[CachedMenu | None]]) -> None:
        self._fetch = fetch
        # tenant -> the readers waiting for the next round trip; present
        # while one is under way
        self._next: dict[int, _Flight] = {}
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    async def get(self, tenant_id: int) -> CachedMenu | None:
        waiting = self._next.get(tenant_id)
        if waiting is None:
            self._next[tenant_id] = _Flight()
            try:
                return await self._round_trip(tenant_id)
            finally:
                self._hand_over(tenant_id)
        # each reader awaits a future of its own, so one that gives up
        # (client gone) cancels nobody else's
        future: asyncio.Future[CachedMenu | None] = asyncio.get_running_loop().create_future()
        if not waiting.waiters:
            waiting.context = contextvars.copy_context()
        waiting.waiters.append(future)
        return await future

    async def _round_trip(self, tenant_id: int) -> CachedMenu | None:
        return await self._fetch(tenant_id)

    def _hand_over(self, tenant_id: int) -> None:
        flight = self._next.pop(tenant_id)
        if flight.waiters:
            # from here on a round trip for ``flight`` is under way: later
            # readers wait for the one after it
            self._next[tenant_id] = _Flight()
            task = asyncio.get_running_loop().create_task(
                self._serve(tenant_id, flight), context=flight.context
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _serve(self, tenant_id: int, flight: _Flight) -> None:
        try:
            result = await self._round_trip(tenant_id)
        except Exception as exc:
            for waiter in flight.waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
        except BaseException:
            for waiter in flight.waiters:
                waiter.cancel()
            raise
        else:
            for waiter in flight.waiters:
                if not waiter.done():
                    waiter.set_result(result)
        finally:
            self._hand_over(tenant_id)


class MenuCache:
    """Redis storage of each tenant's published menu."""

    #: After Redis fails, reads skip it for this long instead of waiting on it each time.
    BACKOFF_SECONDS = 1.0

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._skip_until = 0.0
        self._put = redis.register_script(_PUT)
        self._invalidate = redis.register_script(_INVALIDATE)
        self._flights = _Flights(self._read)

    @property
    def available(self) -> bool:
        """False for a moment after Redis failed: callers go to the database."""
        return time.monotonic() >= self._skip_until

    def failed(self) -> None:
        """Note that Redis just failed."""
        self._skip_until = time.monotonic() + self.BACKOFF_SECONDS

    @staticmethod
    def _keys(tenant_id: int) -> list[str]:
        # one script reads and writes both: they must share a hash slot (cluster mode)
        return [
            tenant_key(tenant_id, "menu", tagged=True),
            tenant_key(tenant_id, "menu", "floor", tagged=True),
        ]

    async def get(self, tenant_id: int) -> CachedMenu | None:
        """The cached menu if it is current, else ``None``.

        Raises:
            RedisError, OSError: when Redis is unreachable.
        """
        return await self._flights.get(tenant_id)

    async def _read(self, tenant_id: int) -> CachedMenu | None:
        # A payload present is never older than the floor: the floor is only
        # raised together with deleting the payload, and a put below the
        # floor is refused, both atomically in Lua.
        raw = cast("bytes | None", await self._redis.get(self._keys(tenant_id)[0]))
        if raw is None:
            return None
        head, _, body = raw.partition(b"\n")
        version_text, _, etag = head.partition(b" ")
        return CachedMenu(int(version_text), etag.decode(), body)

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
