"""SIGTERM drains a real media process (SPEC §8), the way every service does.

A real ``python -m stelly_media`` on the session's PostgreSQL, Valkey and
Azurite: at SIGTERM ``/readyz`` turns 503 at once while ``/healthz`` and the
API keep answering; an upload that is streaming when the signal arrives, and
is still streaming when the drain delay ends, completes with 202; the process
exits 0 well inside drain + shutdown.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from stelly_core.localstack import free_port
from stelly_core.settings import Settings

from .conftest import REPO, MakeStore, worker_env
from .images import jpeg

DRAIN = 1.5
SHUTDOWN = 8.0


@pytest.fixture
def media_process(media_settings: Settings) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = worker_env(media_settings) | {
        "STELLY_DRAIN_SECONDS": str(DRAIN),
        "STELLY_SHUTDOWN_SECONDS": str(SHUTDOWN),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "stelly_media", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def _ready(http: httpx.AsyncClient, base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        assert process.poll() is None, f"media exited with {process.returncode}"
        try:
            if (await http.get(base + "/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("media never became ready")


async def test_sigterm_flips_readiness_first_and_lets_a_streaming_upload_finish(
    media_process: tuple[subprocess.Popen[bytes], str],
    http: httpx.AsyncClient,
    make_store: MakeStore,
    empty_queue: None,
) -> None:
    process, base = media_process
    store = await make_store()
    await _ready(http, base, process)
    photo = jpeg(800, 600)
    boundary = "drain-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body = head + photo + f"\r\n--{boundary}--\r\n".encode()
    signalled = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        # the first bytes before SIGTERM, the rest after the drain delay is over
        yield body[:1000]
        signalled.set()
        await asyncio.sleep(DRAIN + 1.0)
        for start in range(1000, len(body), 16_384):
            yield body[start : start + 16_384]

    headers = store.headers("manager") | {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "content-length": str(len(body)),
    }
    upload = asyncio.create_task(
        http.post(base + "/api/v1/media/images", content=slow_body(), headers=headers)
    )
    await signalled.wait()
    await asyncio.sleep(0.2)  # the request is in flight
    process.send_signal(signal.SIGTERM)
    sent = time.monotonic()

    await asyncio.sleep(0.3)
    ready = await http.get(base + "/readyz")
    assert ready.status_code == 503
    assert ready.json()["code"] == "draining"
    assert (await http.get(base + "/healthz")).status_code == 200
    # still serving the API while draining (a fresh connection is accepted)
    async with httpx.AsyncClient(timeout=10) as fresh:
        listed = await fresh.get(
            base + "/api/v1/media/images/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12,
            headers=store.headers(),
        )
    assert listed.status_code == 404

    response = await upload
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "processing"

    code = await asyncio.to_thread(process.wait, DRAIN + SHUTDOWN + 5)
    elapsed = time.monotonic() - sent
    assert code == 0
    assert elapsed < DRAIN + SHUTDOWN
    # once stopped, nothing listens
    with pytest.raises(httpx.TransportError):
        await http.get(base + "/healthz")
