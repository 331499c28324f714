"""Delivery under pressure: slow consumers, and subscribing while events flow."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from redis.asyncio import Redis
from stelly_core.events import channel_key, publish_event
from stelly_core.settings import Settings
from stelly_realtime.config import RealtimeConfig
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from .conftest import (
    TIMEOUT,
    MakeTenant,
    Server,
    assert_quiet,
    recv,
    start_server,
    stop_server,
    subscribe,
)


async def _slow_client(server: Server, host: str) -> ClientConnection:
    """A client that reads nothing for now, with a small receive buffer."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 18)
    sock.setblocking(False)
    return await connect(
        f"ws://{host}:{server.port}/ws/v1",
        sock=sock,
        compression=None,
        max_queue=1,
        max_size=None,
        open_timeout=TIMEOUT,
    )


async def test_a_slow_consumer_is_closed_with_1013_while_a_fast_one_gets_everything(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    host = f"{tenant.slug}.localhost"
    slow = await _slow_client(realtime, host)
    fast = await realtime.connect(tenant, max_size=None)
    try:
        assert (await subscribe(slow, "menu"))["op"] == "subscribed"
        assert (await subscribe(fast, "menu"))["op"] == "subscribed"
        payload = json.dumps({"blob": "x" * 32_000}).encode()
        published: list[str] = []
        received: list[str] = []

        async def read_fast() -> None:
            while len(received) < 300:
                received.append((await recv(fast))["offset"])

        reader = asyncio.create_task(read_fast())
        for _ in range(300):  # ~10 MB: past every buffer between server and slow client
            published.append(await publish_event(redis, tenant.id, "menu", "menu.updated", payload))
        await asyncio.wait_for(reader, TIMEOUT * 3)
        assert received == published

        # now the slow client reads: some events, then the server's 1013
        slow_got = 0
        code = None
        try:
            while True:
                await asyncio.wait_for(slow.recv(), TIMEOUT)
                slow_got += 1
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
        assert code == 1013
        assert slow_got < len(published)
        assert realtime.service.hub.channels == 1  # the fast client still holds the channel
    finally:
        await fast.close()
        await slow.close()


async def test_subscribing_with_since_while_events_flow_loses_and_repeats_nothing(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    first = await publish_event(redis, tenant.id, "menu", "menu.updated", b'{"n":0}')
    stop = asyncio.Event()

    async def produce() -> None:
        n = 1
        while not stop.is_set() and n <= 200:  # stays under the fixture's small backlog
            await publish_event(redis, tenant.id, "menu", "menu.updated", b'{"n":%d}' % n)
            n += 1
            await asyncio.sleep(0)

    producer = asyncio.create_task(produce())
    try:
        await asyncio.sleep(0.05)
        async with await realtime.connect(tenant) as ws:
            reply = await subscribe(ws, "menu", since=first)
            assert reply["recovered"] is True
            await asyncio.sleep(0.1)
            stop.set()
            await producer
            entries = await redis.xrange(channel_key(tenant.id, "menu"))
            expected = [entry_id.decode() for entry_id, _ in entries][1:]
            got: list[str] = []
            while len(got) < len(expected):
                got.append((await recv(ws))["offset"])
            assert got == expected
            assert len(expected) > 2
    finally:
        stop.set()
        await producer


async def test_losing_the_upstream_closes_sockets_with_1012_and_they_resume(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    seen = await publish_event(redis, tenant.id, "menu", "menu.updated", b'{"n":0}')
    ws = await realtime.connect(tenant)
    await subscribe(ws, "menu")
    # the server's pub/sub connection drops: whatever is published now is not
    # pushed, so the server must make its clients resume from their offsets
    await redis.client_kill_filter(_type="pubsub")
    missed = await publish_event(redis, tenant.id, "menu", "menu.updated", b'{"n":1}')
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await recv(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1012
    for _ in range(500):  # the hub re-subscribes on its own
        try:
            async with await realtime.connect(tenant) as again:
                reply = await subscribe(again, "menu", since=seen)
                if reply["op"] == "subscribed":
                    assert reply["recovered"] is True
                    assert (await recv(again))["offset"] == missed
                    return
        except ConnectionClosed:
            pass
        await asyncio.sleep(0.02)
    raise AssertionError("never resumed")


async def test_a_gap_longer_than_the_replay_limit_is_not_recovered(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    first = await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
    limit = realtime.service.config.max_recover
    for _ in range(limit + 1):
        await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
    async with await realtime.connect(tenant) as ws:
        reply = await subscribe(ws, "menu", since=first)
        assert reply["recovered"] is False
        await assert_quiet(ws)


async def test_the_server_pings_and_drops_a_peer_that_never_answers(
    settings: Settings, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    config = RealtimeConfig(ping_interval=0.2, ping_timeout=0.3)
    uv, server = await start_server(settings, config)
    try:
        # a raw client: it completes the handshake and then answers nothing
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            f"GET /ws/v1 HTTP/1.1\r\nHost: {tenant.slug}.localhost\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        assert head.startswith(b"HTTP/1.1 101")
        opcodes: list[int] = []
        close_code = None
        while 0x8 not in opcodes:
            frame = await asyncio.wait_for(reader.readexactly(2), TIMEOUT)
            payload = await asyncio.wait_for(reader.readexactly(frame[1] & 0x7F), TIMEOUT)
            opcodes.append(frame[0] & 0x0F)
            if opcodes[-1] == 0x8:
                close_code = int.from_bytes(payload[:2], "big")
        assert opcodes[0] == 0x9  # pinged first
        assert 0xA not in opcodes
        assert close_code == 1011  # then dropped for not answering
        writer.close()
        assert await _no_sessions(server)
    finally:
        await stop_server(uv)


async def _no_sessions(server: Server) -> bool:
    for _ in range(200):
        if not server.service.sessions:
            return True
        await asyncio.sleep(0.01)
    return False
