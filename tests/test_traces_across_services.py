"""One user action through the gateway is one trace, ending in a socket's delivery (SPEC §9).

- An order: gateway, menu, PostgreSQL, the outbox relay, Redis, and the
  realtime delivery to the kitchen socket.
- An upload: gateway, media, the job queue (Redis Streams), the worker, its
  ``image.ready`` through the outbox, and the delivery to a menu socket.

The gateway, menu, media, the worker and realtime run in this process
(uvicorn servers on free ports, the worker as a task, all in the test's
loop) so that every span reaches one in-memory exporter; PostgreSQL, Valkey
and Azurite are real servers. Requests are made as the web app makes them:
through the gateway, with the browser's ``traceparent``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips  # type: ignore[import-untyped]
import uvicorn
import websockets
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis
from stelly_core.db import Database
from stelly_core.localstack import azurite_command, azurite_connection_string, free_port
from stelly_core.settings import Settings
from stelly_core.telemetry.testing import captured_telemetry
from stelly_gateway.app import create_app as create_gateway
from stelly_gateway.routing import load_routing_table
from stelly_gateway.settings import GatewaySettings
from stelly_media.app import create_app as create_media
from stelly_media.jobs.redis_streams import GROUP, STREAM, RedisStreamQueue
from stelly_media.storage import BlobStore
from stelly_media.worker import Worker
from stelly_menu.app import create_app as create_menu
from stelly_realtime.app import create_app as create_realtime
from stelly_realtime.config import RealtimeConfig
from stelly_realtime.server import uvicorn_config
from stelly_tenancy.models import Tenant

REPO = Path(__file__).resolve().parents[1]
CLIENT_SPAN = 0xEEE19B7EC3C1B174
PASSWORD = "owner-password-for-traces"
FDID = "fd-trace-test"


def _browser(trace_id: int) -> dict[str, str]:
    """The ``traceparent`` the web app sends: its click's span, sampled."""
    return {"traceparent": f"00-{trace_id:032x}-{CLIENT_SPAN:016x}-01"}


@pytest.fixture(scope="module")
def azurite() -> Iterator[str]:
    """A running Azurite blob service; yields its connection string."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="stelly-azurite-") as location:
        process = subprocess.Popen(
            azurite_command(REPO, port, Path(location)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, "azurite exited"
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        break
                assert time.monotonic() < deadline, "azurite did not start"
                time.sleep(0.1)
            yield azurite_connection_string(port)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span of every server here: one tracer provider, everything sampled."""
    with captured_telemetry("stelly-test") as captured:
        yield captured.exporter


@contextlib.asynccontextmanager
async def serving(config: uvicorn.Config) -> AsyncIterator[str]:
    """Serve ``config`` in this loop; yields its base URL."""
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.get_running_loop().create_task(server.serve())
    try:
        for _ in range(1000):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "a server did not start"
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@pytest.fixture
async def gateway_port(
    spans: InMemorySpanExporter,
    settings: Settings,
    azurite: str,
    db: Database,
    redis: Redis,
) -> AsyncIterator[int]:
    """Menu (with its outbox relay), media and its worker, realtime, and the gateway."""
    # the edge's Front Door id, as deployed: the services take its X-Tenant-Host
    settings = settings.model_copy(update={"frontdoor_id": FDID, "blob_connection_string": azurite})
    menu_config = uvicorn.Config(
        create_menu(settings), host="127.0.0.1", port=free_port(), log_level="warning"
    )
    media_config = uvicorn.Config(
        create_media(settings), host="127.0.0.1", port=free_port(), log_level="warning"
    )
    realtime_config = uvicorn_config(
        create_realtime(settings, config=RealtimeConfig()),
        RealtimeConfig(),
        host="127.0.0.1",
        port=free_port(),
    )
    # no job left by another test; the group as a deployed system has it
    await redis.delete(STREAM)
    await redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    store = BlobStore.from_settings(settings)
    await store.ensure_container()
    worker = Worker(db, redis, store, RedisStreamQueue(redis))
    stop = asyncio.Event()
    working = asyncio.get_running_loop().create_task(worker.run(stop, poll=0.5))
    async with (
        serving(menu_config) as menu,
        serving(media_config) as media,
        serving(realtime_config) as realtime,
    ):
        gateway = GatewaySettings(
            port=free_port(),
            frontdoor_id=FDID,
            upstreams={"menu": (menu,), "media": (media,), "realtime": (realtime,)},
            trace_sample_ratio=1.0,
        )
        gateway_config = uvicorn.Config(
            create_gateway(gateway, load_routing_table()),
            host="127.0.0.1",
            port=gateway.port,
            ws="websockets-sansio",
            log_level="warning",
        )
        try:
            async with serving(gateway_config):
                yield gateway.port
        finally:
            stop.set()
            await asyncio.wait_for(working, 30)
            await store.close()


async def _until(check: Callable[[], Any], what: str) -> Any:
    for _ in range(600):
        result = check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


class Trace:
    """The finished spans of one trace id, and their parent links."""

    def __init__(self, spans: InMemorySpanExporter, trace_id: int) -> None:
        self.by_id = {
            s.context.span_id: s
            for s in spans.get_finished_spans()
            if s.context.trace_id == trace_id
        }

    def named(self, name: str) -> ReadableSpan:
        found = [s for s in self.by_id.values() if s.name == name]
        assert len(found) == 1, (name, sorted(s.name for s in self.by_id.values()))
        return found[0]

    def parent(self, span: ReadableSpan) -> ReadableSpan | None:
        return self.by_id.get(span.parent.span_id) if span.parent is not None else None

    def descends(self, span: ReadableSpan, ancestor: ReadableSpan) -> bool:
        current = self.parent(span)
        while current is not None:
            if current is ancestor:
                return True
            current = self.parent(current)
        return False

    def of_system(self, system: str) -> list[ReadableSpan]:
        return [s for s in self.by_id.values() if (s.attributes or {}).get("db.system") == system]


async def _finished(spans: InMemorySpanExporter, trace_id: int, *names: str) -> Trace:
    """The trace once a span of each name has ended (servers end theirs after answering)."""

    def complete() -> Trace | None:
        trace = Trace(spans, trace_id)
        seen = {s.name for s in trace.by_id.values()}
        return trace if seen >= set(names) else None

    trace: Trace = await _until(complete, f"the spans {names}")
    return trace


async def _owner(
    http: httpx.AsyncClient, make_tenant: Callable[..., Awaitable[Tenant]], port: int
) -> tuple[Tenant, dict[str, str], str]:
    """A tenant, its host header (through the gateway) and its owner's token."""
    email = f"owner-{uuid.uuid4().hex[:8]}@traces.example"
    tenant = await make_tenant(owner_email=email, owner_password=PASSWORD)
    host = {"host": f"{tenant.slug}.localhost:{port}"}
    login = await http.post(
        "/api/v1/auth/token", headers=host, json={"email": email, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    return tenant, host, str(login.json()["access_token"])


async def _subscribe(ws: Any, channel: str, token: str | None = None) -> None:
    command = {"op": "subscribe", "channel": channel} | ({"token": token} if token else {})
    await ws.send(json.dumps(command))
    subscribed = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert subscribed["op"] == "subscribed", subscribed


async def _event(ws: Any, event_type: str) -> dict[str, Any]:
    while True:
        event: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if event.get("type") == event_type:
            return event


async def test_one_order_through_the_gateway_is_one_trace_to_the_kitchen_socket(
    gateway_port: int,
    spans: InMemorySpanExporter,
    make_tenant: Callable[..., Awaitable[Tenant]],
) -> None:
    trace_id = 0x5B8EFFF798038103D269B633813FC60C
    base = f"http://127.0.0.1:{gateway_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        tenant, host, token = await _owner(http, make_tenant, gateway_port)
        staff = host | {"authorization": f"Bearer {token}"}
        category = await http.post(
            "/api/v1/admin/categories", headers=staff, json={"name": "Mains"}
        )
        assert category.status_code == 201, category.text
        item = await http.post(
            "/api/v1/admin/items",
            headers=staff,
            json={"name": "Fries", "price": 400, "category_id": category.json()["id"]},
        )
        assert item.status_code == 201, item.text
        async with websockets.connect(
            f"ws://{tenant.slug}.localhost:{gateway_port}/ws/v1",
            host="127.0.0.1",
            port=gateway_port,
            compression=None,
        ) as kitchen:
            await _subscribe(kitchen, "kitchen", token)
            order = await http.post(
                "/api/v1/store/orders",
                headers=host | {"idempotency-key": uuid.uuid4().hex} | _browser(trace_id),
                json={
                    "items": [{"item_id": item.json()["id"], "quantity": 1}],
                    "customer": {"name": "Trace"},
                    "fulfillment": "pickup",
                },
            )
            assert order.status_code == 201, order.text
            event = await _event(kitchen, "order.created")
    assert set(event) == {"op", "channel", "offset", "type", "data"}  # nothing of the trace

    trace = await _finished(
        spans, trace_id, "POST /api/*", "POST /api/v1/store/orders", "deliver kitchen"
    )
    deliver = trace.named("deliver kitchen")
    # gateway -> (its client span) -> menu's server span
    edge = trace.named("POST /api/*")
    assert edge.kind is SpanKind.SERVER
    assert edge.parent is not None and edge.parent.span_id == CLIENT_SPAN
    menu = trace.named("POST /api/v1/store/orders")
    assert menu.kind is SpanKind.SERVER
    assert trace.descends(menu, edge)
    # PostgreSQL: the order's queries, under the menu's span
    assert trace.of_system("postgresql")
    assert all(trace.descends(s, menu) for s in trace.of_system("postgresql"))
    # the outbox relay's publish, under the request that wrote the row; then Redis
    publish = trace.named("publish kitchen")
    assert publish.kind is SpanKind.PRODUCER
    assert trace.descends(publish, menu)
    assert [s for s in trace.of_system("redis") if trace.parent(s) is publish]
    # the realtime delivery to the one kitchen socket, child of the publish
    assert deliver.kind is SpanKind.CONSUMER
    assert trace.parent(deliver) is publish
    assert (deliver.attributes or {})["stelly.realtime.sockets"] == 1
    # every span of the trace hangs off the browser's click, through the edge
    assert all(s is edge or trace.descends(s, edge) for s in trace.by_id.values())


async def test_one_upload_through_the_gateway_is_one_trace_to_image_ready_on_a_socket(
    gateway_port: int,
    spans: InMemorySpanExporter,
    make_tenant: Callable[..., Awaitable[Tenant]],
) -> None:
    trace_id = 0x7A3E0C5D2B1F4E6A8C9D0B1A2F3E4D5C
    png = pyvips.Image.black(640, 480, bands=3).draw_rect(
        [200, 30, 30], 100, 100, 300, 200, fill=True
    )
    base = f"http://127.0.0.1:{gateway_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        tenant, host, token = await _owner(http, make_tenant, gateway_port)
        async with websockets.connect(
            f"ws://{tenant.slug}.localhost:{gateway_port}/ws/v1",
            host="127.0.0.1",
            port=gateway_port,
            compression=None,
        ) as screen:
            await _subscribe(screen, "menu")
            upload = await http.post(
                "/api/v1/media/images",
                headers=host | {"authorization": f"Bearer {token}"} | _browser(trace_id),
                files={"file": ("dish.png", png.pngsave_buffer(), "image/png")},
            )
            assert upload.status_code == 202, upload.text
            event = await _event(screen, "image.ready")
    assert event["data"]["id"] == upload.json()["id"]

    trace = await _finished(
        spans, trace_id, "POST /api/v1/media/*", "POST /api/v1/media/images", "deliver menu"
    )
    deliver = trace.named("deliver menu")
    edge = trace.named("POST /api/v1/media/*")
    assert edge.parent is not None and edge.parent.span_id == CLIENT_SPAN
    media = trace.named("POST /api/v1/media/images")
    assert media.kind is SpanKind.SERVER and trace.descends(media, edge)
    send = trace.named("send media-jobs")
    assert send.kind is SpanKind.PRODUCER and trace.descends(send, media)
    job = trace.named("process media-jobs")
    assert job.kind is SpanKind.CONSUMER and trace.parent(job) is send
    publish = trace.named("publish menu")
    assert trace.parent(publish) is job
    assert trace.parent(deliver) is publish
    assert (deliver.attributes or {})["stelly.realtime.sockets"] == 1
    assert all(s is edge or trace.descends(s, edge) for s in trace.by_id.values())
