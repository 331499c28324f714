"""The gateway in front of several replicas: balancing, health, retries, the upstreams file.

Every upstream is a real process (tests/echo_upstream.py) on loopback; kills
are real ``kill -9``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import TYPE_CHECKING

import httpx
import pytest
import websockets
from stelly_core.localstack import free_port
from websockets.exceptions import InvalidStatus

if TYPE_CHECKING:
    from conftest import Proc, Processes

HOST = {"host": "pizza.localhost"}


async def _names(client: httpx.AsyncClient, count: int, path: str = "/api/v1/x") -> list[str]:
    names = []
    for _ in range(count):
        response = await client.get(path, headers=HOST)
        assert response.status_code == 200, response.text
        names.append(response.headers["x-upstream"])
    return names


async def _until_only(client: httpx.AsyncClient, names: set[str], limit: float = 15.0) -> float:
    """Seconds until ten answers in a row came from ``names`` only."""
    started = time.monotonic()
    streak = 0
    while streak < 10:
        assert time.monotonic() - started < limit, f"never only {names}"
        response = await client.get("/api/v1/x", headers=HOST)
        assert response.status_code == 200, response.text
        streak = streak + 1 if response.headers["x-upstream"] in names else 0
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def _until_seen(client: httpx.AsyncClient, name: str, limit: float = 15.0) -> float:
    started = time.monotonic()
    while True:
        assert time.monotonic() - started < limit, f"{name} never answered"
        response = await client.get("/api/v1/x", headers=HOST)
        assert response.status_code == 200, response.text
        if response.headers["x-upstream"] == name:
            return time.monotonic() - started
        await asyncio.sleep(0.02)


def _gateway(processes: Processes, *replicas: Proc, interval: str = "0.2") -> Proc:
    urls = ",".join(r.url for r in replicas)
    return processes.gateway(
        {
            "STELLY_MENU_URL": urls,
            "STELLY_REALTIME_URL": urls,
            "STELLY_GATEWAY_HEALTH_INTERVAL": interval,
        }
    )


async def test_requests_spread_over_the_replicas(processes: Processes) -> None:
    a, b = processes.upstream("menu-a"), processes.upstream("menu-b")
    gateway = _gateway(processes, a, b)
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        counts = Counter(await _names(client, 40))
    assert set(counts) == {"menu-a", "menu-b"}
    assert min(counts.values()) >= 15, counts  # one at a time: least-outstanding alternates


async def test_a_draining_replica_leaves_rotation_and_comes_back(processes: Processes) -> None:
    a, b = processes.upstream("menu-a"), processes.upstream("menu-b")
    gateway = _gateway(processes, a, b, interval="0.2")
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        assert set(await _names(client, 10)) == {"menu-a", "menu-b"}
        a.set_ready(False)  # what a replica does on SIGTERM
        left = await _until_only(client, {"menu-b"})
        assert set(await _names(client, 20)) == {"menu-b"}
        a.set_ready(True)
        back = await _until_seen(client, "menu-a")
    print(f"left rotation after {left:.2f}s, back after {back:.2f}s (interval 0.2s)")
    log = gateway.log.read_text()
    assert log.count("of menu left rotation: /readyz answered 503") == 1  # once per outage


async def test_kill_9_of_a_replica_under_gets_fails_no_get(processes: Processes) -> None:
    a, b = processes.upstream("menu-a"), processes.upstream("menu-b")
    gateway = _gateway(processes, a, b, interval="0.5")
    statuses: Counter[int] = Counter()
    after_kill: Counter[str] = Counter()
    killed = asyncio.Event()

    async def worker(client: httpx.AsyncClient, until: float) -> None:
        while time.monotonic() < until:
            response = await client.get("/api/v1/menu", headers=HOST)
            statuses[response.status_code] += 1
            if killed.is_set() and response.status_code == 200:
                after_kill[response.headers["x-upstream"]] += 1

    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        until = time.monotonic() + 3.0
        workers = [asyncio.create_task(worker(client, until)) for _ in range(8)]
        await asyncio.sleep(0.8)
        await asyncio.to_thread(a.kill9)
        killed.set()
        await asyncio.gather(*workers)
    print(f"GETs during the kill: {dict(statuses)}, after it: {dict(after_kill)}")
    assert set(statuses) == {200}, statuses
    assert statuses[200] > 50
    assert after_kill["menu-b"] > 0


async def test_a_post_with_idempotency_key_is_retried_when_its_replica_dies(
    processes: Processes,
) -> None:
    a, b = processes.upstream("menu-a"), processes.upstream("menu-b")
    gateway = _gateway(processes, a, b)
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        response = await client.post(
            "/api/v1/orders/die", content=b"{}", headers=HOST | {"idempotency-key": "k-1"}
        )
    assert response.status_code == 200, response.text
    seen = processes.requests_seen()
    assert [line[2:] for line in seen] == [["/api/v1/orders/die", "k-1"]] * 2
    assert {line[0] for line in seen} == {"menu-a", "menu-b"}  # the second went elsewhere
    assert response.json()["name"] == seen[1][0]
    assert response.json()["body_len"] == 2


async def test_a_post_without_key_is_not_sent_twice(processes: Processes) -> None:
    a, b = processes.upstream("menu-a"), processes.upstream("menu-b")
    gateway = _gateway(processes, a, b)
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        response = await client.post("/api/v1/orders/die", content=b"{}", headers=HOST)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "upstream_unavailable"
    assert len(processes.requests_seen()) == 1


async def test_a_refused_connection_is_retried_elsewhere(processes: Processes) -> None:
    a, b = processes.upstream("menu-a"), processes.upstream("menu-b")
    # health checks too rare to notice the kill: only the passive check and retries help
    gateway = _gateway(processes, a, b, interval="60")
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        await _names(client, 4)
        await asyncio.to_thread(a.kill9)
        await asyncio.sleep(0.3)
        # nothing reached a replica, so even a POST without a key may go elsewhere
        response = await client.post("/api/v1/orders", content=b"{}", headers=HOST)
        assert response.status_code == 200
        assert response.headers["x-upstream"] == "menu-b"
        assert set(await _names(client, 6)) == {"menu-b"}
    assert gateway.log.read_text().count("of menu left rotation: connect failed") == 1


async def test_a_websocket_skips_a_dead_replica(processes: Processes) -> None:
    a, b = processes.upstream("menu-a"), processes.upstream("menu-b")
    gateway = _gateway(processes, a, b, interval="60")
    await asyncio.to_thread(a.kill9)
    for _ in range(4):
        async with websockets.connect(
            f"ws://127.0.0.1:{gateway.port}/ws/v1", additional_headers=HOST, compression=None
        ) as ws:
            assert (await ws.recv()).startswith('{"name": "menu-b"')
    assert "left rotation: websocket connect failed" in gateway.log.read_text()


async def test_a_replica_killed_under_a_websocket_closes_it_with_1011(
    processes: Processes,
) -> None:
    a = processes.upstream("menu-a")
    gateway = _gateway(processes, a, interval="60")
    async with websockets.connect(
        f"ws://127.0.0.1:{gateway.port}/ws/v1", additional_headers=HOST, compression=None
    ) as ws:
        assert (await ws.recv()).startswith('{"name": "menu-a"')
        await asyncio.to_thread(a.kill9)
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), timeout=10)
    # not 1006: the client learns its server vanished, and spreads its reconnect wider
    assert ws.close_code == 1011
    assert ws.close_reason == "upstream_lost"


async def test_every_replica_down_is_503_with_retry_after(processes: Processes) -> None:
    dead = f"http://127.0.0.1:{free_port()},http://127.0.0.1:{free_port()}"
    gateway = processes.gateway({"STELLY_MENU_URL": dead, "STELLY_REALTIME_URL": dead})
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        for method in ("GET", "POST"):
            response = await client.request(method, "/api/v1/x", headers=HOST, content=b"{}")
            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "upstream_unavailable"
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(f"ws://127.0.0.1:{gateway.port}/ws/v1", additional_headers=HOST)
    assert refused.value.response.status_code == 503
    assert refused.value.response.headers["retry-after"] == "1"


async def test_the_upstreams_file_adds_and_removes_replicas(processes: Processes) -> None:
    a, b, c = processes.upstream("menu-a"), processes.upstream("menu-b"), processes.upstream("c")
    path = processes.tmp / "upstreams.json"
    processes.write_upstreams(path, {"menu": [a.url]})
    gateway = processes.gateway(
        {
            "STELLY_MENU_URL": f"http://127.0.0.1:{free_port()}",  # the file wins for menu
            "STELLY_UPSTREAMS_FILE": str(path),
            "STELLY_GATEWAY_HEALTH_INTERVAL": "0.2",
        }
    )
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        assert set(await _names(client, 6)) == {"menu-a"}
        processes.write_upstreams(path, {"menu": [a.url, b.url]})  # a new replica appears
        added = await _until_seen(client, "menu-b")
        processes.write_upstreams(path, {"menu": [b.url]})  # the old one goes
        await _until_only(client, {"menu-b"})
        assert set(await _names(client, 20)) == {"menu-b"}
        c.set_ready(False)  # a new replica is not used before its first 200
        processes.write_upstreams(path, {"menu": [b.url, c.url]})
        await asyncio.sleep(1.0)
        assert set(await _names(client, 20)) == {"menu-b"}
        c.set_ready(True)
        await _until_seen(client, "c")
        path.write_text("{not json")  # a broken file keeps the last good list
        await asyncio.sleep(0.6)
        assert set(await _names(client, 20)) == {"menu-b", "c"}
        path.unlink()
        await asyncio.sleep(0.6)
        assert set(await _names(client, 20)) == {"menu-b", "c"}
    print(f"a replica added to the file served after {added:.2f}s")
    assert gateway.log.read_text().count("unusable, keeping the last list") == 1
