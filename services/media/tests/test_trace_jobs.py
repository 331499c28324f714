"""An upload's trace through the job queue, the worker and its ``image.ready`` event.

Real Azurite, PostgreSQL and Valkey (Redis Streams queue); the worker runs in
this process so that its spans reach the same in-memory exporter.

Service Bus cannot run on this machine: the Service Bus test uses a fake
sender and receiver (standing in for the SDK's) and checks what the adapter
puts into and reads from a message's application properties.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis
from stelly_core.db import Database
from stelly_core.events import channel_key
from stelly_core.settings import Settings
from stelly_core.telemetry.testing import captured_telemetry
from stelly_media.app import create_app
from stelly_media.jobs import ImageJob
from stelly_media.jobs.base import ReceivedJob, encode_job
from stelly_media.jobs.redis_streams import RedisStreamQueue
from stelly_media.jobs.servicebus import ServiceBusJobQueue
from stelly_media.jobs.tracing import working_on
from stelly_media.storage import BlobStore
from stelly_media.worker import Worker

from . import images
from .conftest import MakeStore

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
CLIENT_SPAN = 0xB7AD6B7169203331
TRACEPARENT = f"00-{TRACE_ID:032x}-{CLIENT_SPAN:016x}-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span of the test, sampled at 1.0 (the process's telemetry, configured for it)."""
    with captured_telemetry("stelly-test") as captured:
        yield captured.exporter


@pytest.fixture
async def traced_client(
    spans: InMemorySpanExporter, media_settings: Settings
) -> AsyncIterator[AsyncTestClient[Any]]:
    """The media app, built while the test's telemetry is configured (so with its server span)."""
    async with AsyncTestClient(create_app(media_settings)) as client:
        yield client


def _one(spans: InMemorySpanExporter, name: str) -> ReadableSpan:
    found = [s for s in spans.get_finished_spans() if s.name == name]
    assert len(found) == 1, [s.name for s in spans.get_finished_spans()]
    return found[0]


async def test_one_upload_is_one_trace_through_the_worker_to_image_ready(
    traced_client: AsyncTestClient[Any],
    make_store: MakeStore,
    db: Database,
    redis: Redis,
    media_settings: Settings,
    spans: InMemorySpanExporter,
    empty_queue: None,
) -> None:
    shop = await make_store()
    response = await traced_client.post(
        "/api/v1/media/images",
        headers=shop.headers() | {"traceparent": TRACEPARENT},
        files={"file": ("p.png", images.png(400, 300), "image/png")},
    )
    assert response.status_code == 202, response.text
    image_id = response.json()["id"]

    queue = RedisStreamQueue(redis)
    store = BlobStore.from_settings(media_settings)
    worker = Worker(db, redis, store, queue)
    try:
        received = await queue.receive(wait_seconds=5)
        assert received is not None and received.job is not None
        assert str(received.job.image_id) == image_id
        await worker.handle(received)
        while await worker.relay.relay_once():
            pass
    finally:
        await store.close()

    send = _one(spans, "send media-jobs")
    process = _one(spans, "process media-jobs")
    publish = _one(spans, "publish menu")
    # the queue entry carried the send span's context; the job span is its child
    assert send.kind is SpanKind.PRODUCER and process.kind is SpanKind.CONSUMER
    assert received.traceparent is not None
    assert received.traceparent.split("-")[2] == f"{send.context.span_id:016x}"
    assert process.parent is not None and process.parent.span_id == send.context.span_id
    assert publish.parent is not None and publish.parent.span_id == process.context.span_id
    # one trace from the client's traceparent to the stream entry of image.ready
    [server] = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert server.parent is not None and server.parent.span_id == CLIENT_SPAN
    assert {s.context.trace_id for s in (server, send, process, publish)} == {TRACE_ID}
    # the worker's queries and the variants' blob writes are in it too
    in_job = [
        s
        for s in spans.get_finished_spans()
        if s.parent and s.parent.span_id == process.context.span_id
    ]
    assert {(s.attributes or {}).get("db.system") for s in in_job} >= {"postgresql"}
    entries = await redis.xrange(channel_key(shop.tenant.id, "menu"))
    [ready] = [f for _, f in entries if f[b"type"] == b"image.ready"]
    assert image_id.encode() in ready[b"data"]
    assert ready[b"traceparent"].decode().split("-")[1:3] == [
        f"{TRACE_ID:032x}",
        f"{publish.context.span_id:016x}",
    ]


async def test_a_job_without_a_trace_is_worked_as_before_in_a_trace_of_its_own(
    redis: Redis, spans: InMemorySpanExporter, empty_queue: None
) -> None:
    queue = RedisStreamQueue(redis)
    job = ImageJob(tenant_id=1, image_id=uuid.uuid4())
    await redis.xadd(queue.stream, {"job": encode_job(job)})  # as an older API sent it
    await redis.xadd(queue.stream, {"job": encode_job(job), "traceparent": "00-garbage"})
    for _ in range(2):
        received = await queue.receive(wait_seconds=1)
        assert received is not None and received.job == job
        with working_on(received) as span:
            assert span.get_span_context().is_valid
        await queue.complete(received)
    roots = [s for s in spans.get_finished_spans() if s.name == "process media-jobs"]
    assert len(roots) == 2
    assert all(s.parent is None for s in roots)
    assert roots[0].context.trace_id != roots[1].context.trace_id


@dataclass
class _Message:
    """A received Service Bus message as the SDK hands it over (keys and values bytes)."""

    body_bytes: bytes
    delivery_count: int
    application_properties: dict[bytes, Any] | None = None

    @property
    def body(self) -> Any:
        return iter([self.body_bytes])


@dataclass
class _Receiver:
    inbox: list[_Message] = field(default_factory=list)

    async def receive_messages(self, max_message_count: int, max_wait_time: float) -> list[Any]:
        taken, self.inbox = self.inbox[:max_message_count], self.inbox[max_message_count:]
        return taken


@dataclass
class _Sender:
    sent: list[Any] = field(default_factory=list)

    async def send_messages(self, message: Any) -> None:
        self.sent.append(message)


async def test_a_service_bus_message_carries_the_trace_both_ways(
    spans: InMemorySpanExporter,
) -> None:
    """With a fake sender and receiver: Service Bus cannot run here."""
    sender, receiver = _Sender(), _Receiver()
    queue = ServiceBusJobQueue(receiver, sender)
    job = ImageJob(tenant_id=7, image_id=uuid.uuid4())
    with trace.get_tracer("test").start_as_current_span("upload"):
        await queue.enqueue(job)
    send = _one(spans, "send media-jobs")
    [message] = sender.sent
    sent = message.application_properties["traceparent"]
    assert sent.split("-")[1:3] == [f"{send.context.trace_id:032x}", f"{send.context.span_id:016x}"]

    # as received: bytes keys and values; then one without properties at all
    receiver.inbox = [
        _Message(encode_job(job), 1, {b"traceparent": sent.encode()}),
        _Message(encode_job(job), 1, None),
    ]
    traced = await queue.receive(wait_seconds=1)
    untraced = await queue.receive(wait_seconds=1)
    assert isinstance(traced, ReceivedJob) and isinstance(untraced, ReceivedJob)
    assert (traced.traceparent, untraced.traceparent) == (sent, None)
    assert traced.job == untraced.job == job
    with working_on(traced) as span:
        assert span.get_span_context().trace_id == send.context.trace_id
    process = _one(spans, "process media-jobs")
    assert process.parent is not None and process.parent.span_id == send.context.span_id
