"""Letting sockets go without a reconnect storm: 1012 closes spread over a window.

Real uvicorn servers with the realtime app, real Valkey and PostgreSQL. The
clients record when each close reaches them; no 100 ms stretch may hold more
than a fifth of the closes (the figure `make chaos` holds reconnects to).
Clients that were let go reconnect the way ours do (full-jitter backoff, then
``since``) and must get ``recovered: true`` and every event exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis
from stelly_core.events import publish_event
from stelly_core.settings import Settings, SettingsError
from stelly_realtime.config import CLOSE_WINDOW_VARIABLE, RealtimeConfig
from stelly_realtime.service import RealtimeService
from stelly_tenancy.models import Tenant
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .conftest import TIMEOUT, MakeTenant, Server, recv, start_server, stop_server, subscribe

ROOT = Path(__file__).resolve().parents[3]
SOCKETS = 200
BUCKET = 0.1  # seconds
MOST_IN_A_BUCKET = 0.2  # of all closes


@dataclass
class Closed:
    at: float  # loop time the close reached the client
    code: int | None
    reason: str | None


async def _open(server: Server, tenant: Tenant, count: int) -> list[ClientConnection]:
    async def one() -> ClientConnection:
        ws = await server.connect(tenant)
        assert (await subscribe(ws, "menu"))["op"] == "subscribed"
        return ws

    clients: list[ClientConnection] = []
    for start in range(0, count, 50):  # not a storm of our own while setting up
        clients += await asyncio.gather(*(one() for _ in range(min(50, count - start))))
    return clients


async def _until_closed(ws: ClientConnection) -> Closed:
    loop = asyncio.get_running_loop()
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    at = loop.time()
    rcvd = closed.value.rcvd
    return Closed(at, rcvd.code if rcvd else None, rcvd.reason if rcvd else None)


def _busiest_stretch(times: list[float], width: float = BUCKET) -> int:
    """The most closes within any ``width`` seconds (a sliding window, stricter than buckets)."""
    times = sorted(times)
    most, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= width:
            first += 1
        most = max(most, last - first + 1)
    return most


def _full_jitter(attempt: int, base: float = 0.5, cap: float = 15.0) -> float:
    """The clients' backoff (web/src/lib/offsets.ts, loadtests/scenarios.py)."""
    return random.uniform(0, min(cap, base * 2**attempt))


@pytest.fixture
async def pair(settings: Settings) -> AsyncIterator[tuple[Server, Server]]:
    """Two realtime processes on one Redis, as two replicas."""
    config = RealtimeConfig(max_subscriptions=4, expiry_sweep=0.1)
    first_uv, first = await start_server(settings, config)
    second_uv, second = await start_server(settings, config)
    yield first, second
    await stop_server(first_uv)
    await stop_server(second_uv)


async def test_close_spread_closes_every_socket_with_1012_spread_over_the_window(
    pair: tuple[Server, Server], make_tenant: MakeTenant
) -> None:
    server, _ = pair
    tenant = await make_tenant()
    clients = await _open(server, tenant, SOCKETS)
    watchers = [asyncio.create_task(_until_closed(ws)) for ws in clients]
    window = 2.0
    loop = asyncio.get_running_loop()
    began = loop.time()
    await asyncio.wait_for(server.service.close_spread(window), window + TIMEOUT)
    returned = loop.time()
    closes = await asyncio.wait_for(asyncio.gather(*watchers), TIMEOUT)

    assert {(c.code, c.reason) for c in closes} == {(1012, "service_restart")}
    times = [c.at for c in closes]
    busiest = _busiest_stretch(times)
    assert busiest <= MOST_IN_A_BUCKET * SOCKETS, f"{busiest} of {SOCKETS} closes in 100 ms"
    # spread over the window, and not returned before it was used up
    assert max(times) - min(times) >= window / 2
    assert returned - began >= window / 2
    for ws in clients:
        await ws.close()


async def test_after_a_spread_close_clients_resume_elsewhere_and_miss_nothing(
    pair: tuple[Server, Server], make_tenant: MakeTenant, redis: Redis
) -> None:
    draining, other = pair
    tenant = await make_tenant()
    count, window = 40, 1.0
    clients = await _open(draining, tenant, 100)
    published: list[str] = []
    recovered: list[bool] = []
    start = await publish_event(redis, tenant.id, "menu", "menu.updated", b'{"n":0}')
    for ws in clients:
        assert (await recv(ws))["offset"] == start

    async def client(ws: ClientConnection) -> list[str]:
        got: list[str] = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                got.append((await recv(ws))["offset"])
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1012
        await asyncio.sleep(_full_jitter(0))
        since = got[-1] if got else start
        async with await other.connect(tenant) as again:
            reply = await subscribe(again, "menu", since=since)
            recovered.append(reply["recovered"])
            while len(got) < count:
                got.append((await recv(again))["offset"])
        return got

    readers = [asyncio.create_task(client(ws)) for ws in clients]

    async def publish() -> None:
        # before, during and after the window: some events reach a client on
        # the old process, some are replayed, some arrive live on the new one
        for n in range(count):
            offset = await publish_event(
                redis, tenant.id, "menu", "menu.updated", b'{"n":%d}' % (n + 1)
            )
            published.append(offset)
            await asyncio.sleep(window * 1.5 / count)

    publisher = asyncio.create_task(publish())
    await asyncio.sleep(0.1)
    await draining.service.close_spread(window)
    await asyncio.wait_for(publisher, TIMEOUT)
    received = await asyncio.wait_for(asyncio.gather(*readers), TIMEOUT)

    assert recovered == [True] * len(clients)
    assert all(got == published for got in received)


async def test_a_socket_opened_while_draining_is_closed_at_once(
    pair: tuple[Server, Server], make_tenant: MakeTenant
) -> None:
    server, _ = pair
    tenant = await make_tenant()
    clients = await _open(server, tenant, 3)
    window = 3.0
    spreading = asyncio.create_task(server.service.close_spread(window))
    await asyncio.sleep(0)
    late = await server.connect(tenant)
    closed = await _until_closed(late)
    assert (closed.code, closed.reason) == (1012, "service_restart")
    assert not spreading.done()  # at once, not somewhere in the window
    await asyncio.wait_for(spreading, window + TIMEOUT)
    for ws in clients:
        assert (await _until_closed(ws)).code == 1012
    assert await _no_sessions(server.service)


async def test_losing_the_upstream_spreads_its_closes_and_logs_once(
    settings: Settings, make_tenant: MakeTenant, redis: Redis
) -> None:
    uv, server = await start_server(settings, RealtimeConfig(reset_close_window=2.0))
    try:
        tenant = await make_tenant()
        count = 100
        clients = await _open(server, tenant, count)
        watchers = [asyncio.create_task(_until_closed(ws)) for ws in clients]
        # our own handler: Litestar's logging config replaces the root's (and caplog's)
        records = _Records()
        logger = logging.getLogger("stelly.realtime")
        logger.addHandler(records)
        try:
            await redis.client_kill_filter(_type="pubsub")
            closes = await asyncio.wait_for(asyncio.gather(*watchers), TIMEOUT)
            await asyncio.sleep(0.6)  # past the hub's retry, when redis-py re-subscribes
        finally:
            logger.removeHandler(records)
        assert {(c.code, c.reason) for c in closes} == {(1012, "upstream_reset")}
        times = [c.at for c in closes]
        busiest = _busiest_stretch(times)
        assert busiest <= MOST_IN_A_BUCKET * count, f"{busiest} of {count} closes in 100 ms"
        resets = [m for m in records.messages if m.startswith("upstream reset")]
        assert len(resets) == 1
        # not draining: the same process takes them back
        async with await server.connect(tenant) as again:
            reply = await subscribe(again, "menu")
            assert reply["op"] == "subscribed"
    finally:
        await stop_server(uv)


def test_the_close_window_comes_from_the_environment() -> None:
    assert RealtimeConfig.from_environ({}).close_window == 3.0
    assert RealtimeConfig.from_environ({CLOSE_WINDOW_VARIABLE: "7.5"}).close_window == 7.5
    assert RealtimeConfig.from_environ({CLOSE_WINDOW_VARIABLE: "0"}).close_window == 0.0
    for bad in ("soon", "-1", "nan", "inf", "301"):
        with pytest.raises(SettingsError, match=CLOSE_WINDOW_VARIABLE):
            RealtimeConfig.from_environ({CLOSE_WINDOW_VARIABLE: bad})
    assert CLOSE_WINDOW_VARIABLE in (ROOT / ".env.example").read_text()


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def _no_sessions(service: RealtimeService) -> bool:
    for _ in range(500):
        if not service.sessions:
            return True
        await asyncio.sleep(0.01)
    return False
