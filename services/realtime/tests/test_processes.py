"""Two realtime processes, the menu service and real Valkey/PostgreSQL.

Orders are placed through the menu service's HTTP API (its outbox relay
moves the events to Redis); kitchen clients on both realtime processes
receive them, a reconnecting client resumes on the other process, a slow
consumer is cut with 1013 while fast ones on both processes get every
event, and SIGTERM drains: readiness flips at once, then every socket is
closed with 1012, spread over the close window.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_core.events import publish_event
from stelly_core.localstack import free_port
from stelly_core.settings import Settings
from stelly_tenancy.provisioning import NewTenant, create_tenant
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .conftest import TIMEOUT, assert_quiet, recv, subscribe, ws_connect

PASSWORD = "owner-password-123"


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STELLY_", "KZ_"))}
    env.update(
        {
            "STELLY_ENV": "test",
            "STELLY_DATABASE_URL": str(settings.database_url),
            "STELLY_REDIS_URL": str(settings.redis_url),
            "KZ_SECRET_KEY": settings.secret_key,
            "STELLY_DATABASE_POOL_SIZE": "2",
        }
    )
    return env


@contextmanager
def _process(
    module: str, port: int, settings: Settings, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port)],
        env=_env(settings) | (env or {}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=TIMEOUT)


async def _healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.poll() is not None:
                raise AssertionError(f"process on {port} exited with {process.returncode}")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"process on {port} never became ready")


@dataclass
class Stack:
    realtime: list[int]
    menu: int


@pytest.fixture(scope="module")
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    ports = [free_port(), free_port(), free_port()]
    with (
        _process("stelly_realtime", ports[0], settings) as a,
        _process("stelly_realtime", ports[1], settings) as b,
        _process("stelly_menu", ports[2], settings) as menu,
    ):
        await asyncio.gather(_healthy(ports[0], a), _healthy(ports[1], b), _healthy(ports[2], menu))
        yield Stack(realtime=ports[:2], menu=ports[2])


@dataclass
class Store:
    host: str
    token: str
    item_id: int


async def _store(stack: Stack, db: Database) -> Store:
    slug = "rt" + secrets.token_hex(5)
    email = f"owner@{slug}.example"
    spec = NewTenant(slug=slug, name=slug, owner_email=email, owner_password=PASSWORD)
    await create_tenant(db, spec, hasher=PasswordHashing())
    host = f"{slug}.localhost"
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{stack.menu}", headers={"host": host}, timeout=TIMEOUT
    ) as http:
        login = await http.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["access_token"]
        auth = {"authorization": f"Bearer {token}"}
        category = await http.post("/api/v1/admin/categories", json={"name": "Mains"}, headers=auth)
        assert category.status_code == 201, category.text
        item = await http.post(
            "/api/v1/admin/items",
            json={"name": "Fries", "price": 400, "category_id": category.json()["id"]},
            headers=auth,
        )
        assert item.status_code == 201, item.text
    return Store(host, token, item.json()["id"])


async def _place_order(stack: Stack, store: Store) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{stack.menu}", headers={"host": store.host}, timeout=TIMEOUT
    ) as http:
        response = await http.post(
            "/api/v1/store/orders",
            json={
                "items": [{"item_id": store.item_id, "quantity": 1, "modifiers": []}],
                "customer": {"name": "Ada"},
                "fulfillment": "pickup",
            },
            headers={"idempotency-key": secrets.token_hex(8)},
        )
    assert response.status_code == 201, response.text
    order: dict[str, Any] = response.json()
    return order


async def test_kitchen_clients_on_both_processes_receive_a_placed_order(
    stack: Stack, db: Database
) -> None:
    store = await _store(stack, db)
    clients = [await ws_connect(port, store.host) for port in stack.realtime]
    try:
        for ws in clients:
            reply = await subscribe(ws, "kitchen", token=store.token)
            assert reply["op"] == "subscribed", reply
        order = await _place_order(stack, store)
        events = [await recv(ws) for ws in clients]
        for event in events:
            assert event["op"] == "event"
            assert event["channel"] == "kitchen"
            assert event["type"] == "order.created"
            assert event["data"]["id"] == order["id"]
        assert events[0] == events[1]
    finally:
        for ws in clients:
            await ws.close()


async def test_a_client_resuming_on_the_other_process_gets_exactly_what_it_missed(
    stack: Stack, db: Database
) -> None:
    store = await _store(stack, db)
    first, second = stack.realtime
    async with await ws_connect(first, store.host) as ws:
        await subscribe(ws, "kitchen", token=store.token)
        seen = await recv(ws) if (await _place_order(stack, store)) else None
    assert seen is not None
    missed = [(await _place_order(stack, store))["id"] for _ in range(3)]
    async with await ws_connect(second, store.host) as ws:
        reply = await subscribe(ws, "kitchen", token=store.token, since=seen["offset"])
        assert reply["recovered"] is True
        replayed = [await recv(ws) for _ in missed]
        assert [e["data"]["id"] for e in replayed] == missed
        assert replayed[-1]["offset"] == reply["offset"]
        await assert_quiet(ws)
        # too old an offset: the client must refetch
        stale = await ws_connect(second, store.host)
        async with stale:
            again = await subscribe(stale, "kitchen", token=store.token, since="1-0")
            assert again["recovered"] is False
            await assert_quiet(stale)


async def test_sigterm_drains_then_closes_every_socket_with_1012_spread_out(
    settings: Settings, stack: Stack, db: Database
) -> None:
    store = await _store(stack, db)
    port = free_port()
    env = {"STELLY_DRAIN_SECONDS": "1", "STELLY_REALTIME_CLOSE_WINDOW": "2"}
    with _process("stelly_realtime", port, settings, env) as process:
        await _healthy(port, process)
        clients = [await ws_connect(port, store.host) for _ in range(60)]
        for ws in clients:
            await subscribe(ws, "kitchen", token=store.token)
        process.send_signal(signal.SIGTERM)
        signalled = asyncio.get_running_loop().time()
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient() as http:
            ready = await http.get(f"http://127.0.0.1:{port}/readyz")
            assert ready.status_code == 503
            assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        # still open during the drain delay
        assert all(ws.close_code is None for ws in clients)

        async def closed_at(ws: Any) -> float:
            with pytest.raises(ConnectionClosed) as closed:
                await recv(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1012
            return asyncio.get_running_loop().time() - signalled

        times = await asyncio.gather(*(closed_at(ws) for ws in clients))
        assert min(times) >= 0.9  # nothing closed before the drain delay was over
        buckets: dict[int, int] = {}
        for t in times:
            buckets[int(t * 10)] = buckets.get(int(t * 10), 0) + 1
        assert max(buckets.values()) <= 0.2 * len(times), sorted(buckets.items())
        returncode = await asyncio.to_thread(process.wait, TIMEOUT)
        assert returncode == 0


async def test_a_slow_consumer_is_cut_while_fast_ones_on_both_processes_get_everything(
    stack: Stack, db: Database, redis: Redis
) -> None:
    store = await _store(stack, db)
    tenant_id = await _tenant_id(db, store)
    first, second = stack.realtime
    sock = socket.create_connection(("127.0.0.1", first))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 18)
    sock.setblocking(False)
    slow = await connect(
        f"ws://{store.host}:{first}/ws/v1", sock=sock, compression=None, max_queue=1, max_size=None
    )
    fast = [await ws_connect(port, store.host, max_size=None) for port in (first, second)]
    try:
        for ws in (slow, *fast):
            assert (await subscribe(ws, "menu"))["op"] == "subscribed"
        # past the slow socket's buffers and the server's 1024-frame backlog
        payload = json.dumps({"blob": "x" * 32_000}).encode()
        count = 1400
        received: list[list[str]] = [[], []]

        async def read(n: int) -> None:
            while len(received[n]) < count:
                received[n].append((await recv(fast[n]))["offset"])

        readers = [asyncio.create_task(read(n)) for n in range(2)]
        published = [
            await publish_event(redis, tenant_id, "menu", "menu.updated", payload)
            for _ in range(count)
        ]
        await asyncio.wait_for(asyncio.gather(*readers), TIMEOUT * 6)
        assert received == [published, published]
        got = 0
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(slow.recv(), TIMEOUT)
                got += 1
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1013
        assert got < count
    finally:
        for ws in (slow, *fast):
            await ws.close()


async def _tenant_id(db: Database, store: Store) -> int:
    async with db.platform() as conn:
        slug = store.host.removesuffix(".localhost")
        return int(await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug))
