"""The gateway as a real process in front of real upstream processes.

The upstreams here are a small echo app of the tests (not the services), so
that what the gateway sends can be seen exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from stelly_core.localstack import free_port
from stelly_gateway.headers import upstream_request_headers, upstream_response_headers

HERE = Path(__file__).parent
FDID = "fd-gateway-test-0001"


def _wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


def _spawn(args: list[str], env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, env=os.environ | env)
    try:
        _wait_http(url, proc)
    except Exception:
        proc.kill()
        raise
    return proc


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, object]]:
    menu_port, media_port, gw_port, dead_port = free_port(), free_port(), free_port(), free_port()
    procs = []
    try:
        for name, port in (("menu", menu_port), ("media", media_port)):
            procs.append(
                _spawn(
                    [sys.executable, str(HERE / "echo_upstream.py"), str(port)],
                    {"ECHO_NAME": name},
                    f"http://127.0.0.1:{port}/",
                )
            )
        gw_env = {
            "STELLY_PORT": str(gw_port),
            "STELLY_FRONTDOOR_ID": FDID,
            "STELLY_MENU_URL": f"http://127.0.0.1:{menu_port}",
            "STELLY_REALTIME_URL": f"http://127.0.0.1:{menu_port}",
            "STELLY_MEDIA_URL": f"http://127.0.0.1:{media_port}",
            "STELLY_GATEWAY_TIMEOUT": "1",
        }
        gateway = _spawn(
            [sys.executable, "-m", "stelly_gateway"], gw_env, f"http://127.0.0.1:{gw_port}/healthz"
        )
        procs.append(gateway)
        dead_env = gw_env | {
            "STELLY_PORT": str(dead_port),
            "STELLY_MEDIA_URL": f"http://127.0.0.1:{free_port()}",
        }
        procs.append(
            _spawn(
                [sys.executable, "-m", "stelly_gateway"],
                dead_env,
                f"http://127.0.0.1:{dead_port}/healthz",
            )
        )
        yield {
            "url": f"http://127.0.0.1:{gw_port}",
            "pid": gateway.pid,
            "dead_url": f"http://127.0.0.1:{dead_port}",
            "port": gw_port,
        }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
async def client(stack: dict[str, object]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=str(stack["url"]), timeout=30) as c:
        yield c


async def test_edge_headers_are_overwritten(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/store?x=1",
        headers={
            "host": "pizza.localhost:8080",
            "x-tenant-host": "burger.localhost",
            "x-azure-fdid": "spoofed",
            "x-azure-clientip": "6.6.6.6",
            "x-forwarded-for": "6.6.6.6",
            "x-request-id": "client-chosen",
        },
    )
    seen = response.json()
    assert seen["name"] == "menu"
    assert (seen["path"], seen["query"]) == ("/api/v1/store", "x=1")
    headers = seen["headers"]
    assert headers["x-tenant-host"] == "pizza.localhost"
    assert headers["x-azure-fdid"] == FDID
    assert headers["x-azure-clientip"] == "127.0.0.1"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["host"].startswith("127.0.0.1:")  # the upstream's own host
    assert headers["x-request-id"] != "client-chosen"
    assert response.headers["x-request-id"] == headers["x-request-id"]
    assert response.headers["x-upstream"] == "menu"  # the upstream's own headers come back


def test_hop_by_hop_headers_never_cross() -> None:
    sent = upstream_request_headers(
        [
            (b"connection", b"close, x-secret"),
            (b"keep-alive", b"timeout=5"),
            (b"te", b"trailers"),
            (b"upgrade", b"h2c"),
            (b"accept", b"application/json"),
            (b"forwarded", b"for=6.6.6.6"),
        ],
        tenant_host="pizza.localhost",
        frontdoor_id=None,
        client_ip="198.51.100.1",
        scheme="http",
        request_id="r1",
    )
    names = [name for name, _ in sent]
    assert not {"connection", "keep-alive", "te", "upgrade", "forwarded", "x-azure-fdid"} & set(
        names
    )
    assert ("accept", "application/json") in sent
    back = upstream_response_headers(
        [(b"Connection", b"keep-alive"), (b"Transfer-Encoding", b"chunked"), (b"ETag", b'"v1"')]
    )
    assert back == [(b"ETag", b'"v1"')]


@pytest.mark.parametrize(
    ("path", "upstream"),
    [("/api/v1/media/images", "media"), ("/api/v1/store/menu", "menu"), ("/api/v1/mediax", "menu")],
)
async def test_most_specific_prefix_wins(
    client: httpx.AsyncClient, path: str, upstream: str
) -> None:
    response = await client.get(path, headers={"host": "pizza.localhost"})
    assert response.json()["name"] == upstream


async def test_other_paths_get_the_landing_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"host": "localhost:8080"})
    assert response.status_code == 200
    assert "pizza.localhost:8080" in response.text


async def test_upstream_down_is_a_503_problem_with_retry_after(stack: dict[str, object]) -> None:
    async with httpx.AsyncClient(base_url=str(stack["dead_url"])) as c:
        response = await c.post(
            "/api/v1/media/images", content=b"x", headers={"host": "pizza.localhost"}
        )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "upstream_unavailable"


async def test_slow_upstream_is_a_504_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/slow", headers={"host": "pizza.localhost"})
    assert response.status_code == 504
    assert response.json()["code"] == "upstream_timeout"


async def test_websocket_through_the_gateway(stack: dict[str, object]) -> None:
    url = f"ws://pizza.localhost:{stack['port']}/ws/v1"
    async with websockets.connect(
        url,
        host="127.0.0.1",
        port=stack["port"],  # connect here, say pizza.localhost in Host
        additional_headers={"x-tenant-host": "burger.localhost"},
        compression=None,
    ) as ws:
        hello = json.loads(await ws.recv())
        assert hello["headers"]["x-tenant-host"] == "pizza.localhost"
        assert hello["headers"]["x-azure-fdid"] == FDID
        await ws.send("ping")
        assert await ws.recv() == "echo:ping"
        await ws.send("close:1013")
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013


def _peak_rss_kb(pid: object) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))


async def test_a_50_mib_upload_streams_through(
    client: httpx.AsyncClient, stack: dict[str, object]
) -> None:
    size = 50 * 1024 * 1024
    chunk = b"\0" * (256 * 1024)
    # warm up the gateway's buffers with a small upload first
    await client.post(
        "/api/v1/media/images", content=b"x" * 1024, headers={"host": "pizza.localhost"}
    )
    before = _peak_rss_kb(stack["pid"])

    async def body() -> AsyncIterator[bytes]:
        for _ in range(size // len(chunk)):
            yield chunk

    response = await client.post(
        "/api/v1/media/images",
        content=body(),
        headers={"host": "pizza.localhost", "content-length": str(size)},
    )
    assert response.json()["body_len"] == size
    growth_mib = (_peak_rss_kb(stack["pid"]) - before) / 1024
    assert growth_mib < 20, f"gateway peak memory grew by {growth_mib:.1f} MiB for a 50 MiB body"
