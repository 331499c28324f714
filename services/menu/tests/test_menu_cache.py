"""The menu cache's version floor (real Redis), ETag matching and event parsing."""

from __future__ import annotations

import secrets

import pytest
from redis.asyncio import Redis
from stelly_menu.domain.menu.cache import CachedMenu, MenuCache, encode_menu, etag_matches
from stelly_menu.domain.menu.listener import parse_menu_event
from stelly_menu.domain.menu.schemas import Menu

pytestmark = pytest.mark.redis_cluster  # the Redis tests on standalone and cluster-mode Valkey


def tenant_id() -> int:
    return secrets.randbelow(10**9) + 10**9


async def test_a_slow_reader_cannot_put_back_an_older_menu(redis: Redis) -> None:
    cache = MenuCache(redis)
    tid = tenant_id()
    old, new = encode_menu(Menu(1, "EUR", [])), encode_menu(Menu(2, "EUR", []))
    assert await cache.put(tid, old)
    assert await cache.get(tid) == old
    await cache.invalidate(tid, 2)  # a writer committed version 2
    assert await cache.get(tid) is None
    assert not await cache.put(tid, old)  # a reader that loaded version 1 before the write
    assert await cache.get(tid) is None
    assert await cache.put(tid, new)
    assert await cache.get(tid) == new
    await cache.invalidate(tid, 1)  # a late, older invalidation does not lower the floor
    assert not await cache.put(tid, old)


async def test_etag_is_strong_and_follows_the_bytes() -> None:
    a = encode_menu(Menu(1, "EUR", []))
    b = encode_menu(Menu(1, "USD", []))
    assert a.etag != b.etag
    assert a.etag.startswith('"') and a.etag.endswith('"')
    assert encode_menu(Menu(1, "EUR", [])).etag == a.etag


def test_if_none_match() -> None:
    etag = '"abc"'
    assert etag_matches('"abc"', etag)
    assert etag_matches('W/"abc"', etag)
    assert etag_matches('"x", "abc"', etag)
    assert etag_matches("*", etag)
    assert not etag_matches('"abcd"', etag)
    assert not etag_matches(None, etag)
    assert not etag_matches("", etag)


def test_parse_menu_event() -> None:
    payload = b'{"offset":"1-0","type":"menu.updated","data":{"version":7}}'
    assert parse_menu_event(b"t:42:ev:menu", payload) == (42, 7)
    assert parse_menu_event(b"t:42:ev:kitchen", payload) is None
    assert parse_menu_event(b"t:42:ev:menu", b"not json") is None
    assert (
        parse_menu_event(
            b"t:42:ev:menu", b'{"offset":"1-0","type":"order.created","data":{"version":7}}'
        )
        is None
    )
    assert (
        parse_menu_event(
            b"t:42:ev:menu", b'{"offset":"1-0","type":"menu.updated","data":{"version":"7"}}'
        )
        is None
    )


async def test_concurrent_reads_share_round_trips_that_start_after_they_arrive() -> None:
    import asyncio

    from stelly_menu.domain.menu.cache import _Flights

    started: list[int] = []
    gate = asyncio.Event()

    async def fetch(tenant: int) -> CachedMenu:
        started.append(tenant)
        number = len(started)
        await gate.wait()
        return CachedMenu(number, f'"{number}"', b"{}")

    flights = _Flights(fetch)
    first = asyncio.create_task(flights.get(1))
    await asyncio.sleep(0)
    # these arrive while round trip 1 is under way: they must not get its answer
    later = [asyncio.create_task(flights.get(1)) for _ in range(10)]
    other_tenant = asyncio.create_task(flights.get(2))
    await asyncio.sleep(0)
    assert started == [1, 2]
    gate.set()
    assert (await first).version == 1
    results = await asyncio.gather(*later)
    assert {r.version for r in results} == {3}  # one shared round trip, started after round trip 1
    assert started == [1, 2, 1]
    assert (await other_tenant).version == 2


async def test_a_reader_giving_up_does_not_fail_the_others() -> None:
    import asyncio

    from stelly_menu.domain.menu.cache import _Flights

    gate = asyncio.Event()

    async def fetch(tenant: int) -> CachedMenu:
        await gate.wait()
        return CachedMenu(1, '"1"', b"{}")

    flights = _Flights(fetch)
    first = asyncio.create_task(flights.get(1))
    await asyncio.sleep(0)
    quitter, stayer = asyncio.create_task(flights.get(1)), asyncio.create_task(flights.get(1))
    await asyncio.sleep(0)
    quitter.cancel()
    gate.set()
    assert (await first).version == 1
    assert (await stayer).version == 1
    assert quitter.cancelled()


async def test_many_readers_arriving_at_random_all_get_an_answer() -> None:
    import asyncio
    import random

    from stelly_menu.domain.menu.cache import _Flights

    fetched = 0

    async def fetch(tenant: int) -> CachedMenu:
        nonlocal fetched
        fetched += 1
        number = fetched
        for _ in range(random.randint(0, 3)):
            await asyncio.sleep(0)
        return CachedMenu(number, f'"{number}"', b"{}")

    flights = _Flights(fetch)

    async def reader(tenant: int) -> int:
        for _ in range(random.randint(0, 20)):
            await asyncio.sleep(0)
        arrived = fetched
        menu = await flights.get(tenant)
        assert menu is not None
        assert menu.version > arrived  # served by a round trip that started after it arrived
        return menu.version

    results = await asyncio.wait_for(
        asyncio.gather(*(reader(t % 3 + 1) for t in range(600))), timeout=30
    )
    assert len(results) == 600
    assert fetched < 600  # round trips were shared
    assert flights._next == {}


async def test_a_handed_over_round_trip_runs_in_a_waiting_readers_context() -> None:
    """Not in the context of the reader that handed it over (its trace must not leak on)."""
    import asyncio
    import contextvars

    from stelly_menu.domain.menu.cache import _Flights

    reader_var: contextvars.ContextVar[str] = contextvars.ContextVar("reader", default="none")
    gates = [asyncio.Event() for _ in range(3)]
    seen: list[str] = []

    async def fetch(tenant: int) -> CachedMenu:
        seen.append(reader_var.get())
        await gates[len(seen) - 1].wait()
        return CachedMenu(len(seen), f'"{len(seen)}"', b"{}")

    flights = _Flights(fetch)

    async def read_as(name: str) -> int:
        reader_var.set(name)
        menu = await flights.get(1)
        assert menu is not None
        return menu.version

    first = asyncio.create_task(read_as("a"))
    await asyncio.sleep(0)
    second, third = asyncio.create_task(read_as("b")), asyncio.create_task(read_as("c"))
    await asyncio.sleep(0)
    gates[0].set()
    assert await first == 1
    await asyncio.sleep(0)
    # round trip 2 serves b and c: it runs as b (the first waiter), not as a
    fourth = asyncio.create_task(read_as("d"))
    await asyncio.sleep(0)
    gates[1].set()
    assert (await second, await third) == (2, 2)
    gates[2].set()
    assert await fourth == 3
    assert seen == ["a", "b", "d"]
