"""The Service Bus job queue.

Service Bus cannot run on this machine, so the settlement tests below use a
fake receiver and sender (recording what the adapter asks of the SDK); that
is the only fake in the media tests. The tests at the end run against a real
namespace when ``STELLY_SERVICEBUS_CONNECTION_STRING`` is set (queue
``media-jobs``, or ``STELLY_SERVICEBUS_TEST_QUEUE``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from redis.asyncio import Redis
from stelly_core.db import Database
from stelly_core.settings import Settings, load_settings
from stelly_media.jobs import ImageJob
from stelly_media.jobs.base import encode_job
from stelly_media.jobs.servicebus import QUEUE_NAME, ServiceBusJobQueue, fully_qualified_namespace
from stelly_media.storage import BlobStore
from stelly_media.worker import Worker

from .conftest import MakeStore


@dataclass
class FakeMessage:
    body_bytes: bytes
    delivery_count: int

    @property
    def body(self) -> Any:
        return iter([self.body_bytes])


@dataclass
class FakeReceiver:
    """Stands in for ``ServiceBusReceiver``: hands out messages, records settlements."""

    inbox: list[FakeMessage] = field(default_factory=list)
    calls: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)

    async def receive_messages(
        self, max_message_count: int, max_wait_time: float
    ) -> list[FakeMessage]:
        taken, self.inbox = self.inbox[:max_message_count], self.inbox[max_message_count:]
        return taken

    async def complete_message(self, message: FakeMessage) -> None:
        self.calls.append(("complete", message, {}))

    async def abandon_message(self, message: FakeMessage) -> None:
        self.calls.append(("abandon", message, {}))

    async def dead_letter_message(self, message: FakeMessage, **kwargs: Any) -> None:
        self.calls.append(("dead_letter", message, kwargs))

    async def renew_message_lock(self, message: FakeMessage) -> None:
        self.calls.append(("renew", message, {}))

    async def close(self) -> None:
        self.calls.append(("close", None, {}))


@dataclass
class FakeSender:
    sent: list[Any] = field(default_factory=list)

    async def send_messages(self, message: Any) -> None:
        self.sent.append(message)

    async def close(self) -> None:
        pass


def test_namespace_names_become_fully_qualified() -> None:
    assert fully_qualified_namespace("stelly-prod") == "stelly-prod.servicebus.windows.net"
    assert fully_qualified_namespace("sb://x.servicebus.windows.net/") == "x.servicebus.windows.net"


async def test_enqueue_sends_the_job_as_json() -> None:
    sender = FakeSender()
    queue = ServiceBusJobQueue(FakeReceiver(), sender)
    job = ImageJob(tenant_id=7, image_id=uuid.uuid4())
    await queue.enqueue(job)
    assert [b"".join(m.body) for m in sender.sent] == [encode_job(job)]
    assert sender.sent[0].content_type == "application/json"


async def test_settlements_map_to_peek_lock_operations() -> None:
    job = ImageJob(tenant_id=7, image_id=uuid.uuid4())
    messages = [FakeMessage(encode_job(job), n) for n in (1, 2, 3, 4)]
    receiver = FakeReceiver(inbox=list(messages))
    queue = ServiceBusJobQueue(receiver, FakeSender())
    received = [await queue.receive(wait_seconds=1) for _ in messages]
    assert [r.job for r in received if r] == [job] * 4
    assert [r.delivery_count for r in received if r] == [1, 2, 3, 4]
    assert await queue.receive(wait_seconds=1) is None
    first, second, third, fourth = (r for r in received if r)
    await queue.complete(first)
    await queue.retry(second)
    await queue.dead_letter(third, "decode failed: " + "x" * 500)
    await queue.renew(fourth)
    assert [(c[0], c[1]) for c in receiver.calls] == [
        ("complete", messages[0]),
        ("abandon", messages[1]),
        ("dead_letter", messages[2]),
        ("renew", messages[3]),
    ]
    reason = receiver.calls[2][2]
    assert reason["reason"].startswith("decode failed") and len(reason["reason"]) <= 200


@pytest.fixture
async def worker_parts(
    db: Database, redis: Redis, media_settings: Settings
) -> AsyncIterator[tuple[FakeReceiver, Worker]]:
    receiver = FakeReceiver()
    store = BlobStore.from_settings(media_settings)
    worker = Worker(db, redis, store, ServiceBusJobQueue(receiver, FakeSender()), max_deliveries=3)
    yield receiver, worker
    await store.close()


async def test_worker_settles_service_bus_messages(
    worker_parts: tuple[FakeReceiver, Worker], make_store: MakeStore, db: Database
) -> None:
    """The worker's decisions through the Service Bus adapter, with a fake receiver."""
    receiver, worker = worker_parts
    shop = await make_store()
    missing = ImageJob(tenant_id=shop.tenant.id, image_id=uuid.uuid4())
    # an image row whose original blob does not exist: every attempt fails
    broken = uuid.uuid4()
    async with db.tenant(shop.tenant.schema) as conn:
        await conn.execute(
            "INSERT INTO images (id, format, width, height, byte_size) VALUES ($1, 'jpeg', 10, 10, 10)",
            broken,
        )
    broken_job = encode_job(ImageJob(tenant_id=shop.tenant.id, image_id=broken))
    receiver.inbox = [
        FakeMessage(b"not json", 1),  # malformed -> dead letter at once
        FakeMessage(encode_job(missing), 1),  # unknown image: nothing to do -> complete
        FakeMessage(broken_job, 1),  # fails, deliveries left -> abandon
        FakeMessage(broken_job, 3),  # fails on the last delivery -> dead letter, image failed
    ]
    for _ in range(4):
        received = await worker.queue.receive(wait_seconds=1)
        assert received is not None
        await worker.handle(received)
    assert [c[0] for c in receiver.calls] == ["dead_letter", "complete", "abandon", "dead_letter"]
    async with db.tenant(shop.tenant.schema) as conn:
        row = await conn.fetchrow("SELECT status, failure FROM images WHERE id = $1", broken)
    assert row["status"] == "failed"
    assert "ResourceNotFound" in row["failure"] or "BlobNotFound" in row["failure"]


async def test_a_job_past_its_deliveries_is_dead_lettered_without_work(
    worker_parts: tuple[FakeReceiver, Worker], make_store: MakeStore, db: Database
) -> None:
    """A worker that died on every earlier delivery: give up before trying again."""
    receiver, worker = worker_parts
    shop = await make_store()
    image_id = uuid.uuid4()
    async with db.tenant(shop.tenant.schema) as conn:
        await conn.execute(
            "INSERT INTO images (id, format, width, height, byte_size) VALUES ($1, 'png', 10, 10, 10)",
            image_id,
        )
    receiver.inbox = [
        FakeMessage(encode_job(ImageJob(tenant_id=shop.tenant.id, image_id=image_id)), 4)
    ]
    received = await worker.queue.receive(wait_seconds=1)
    assert received is not None
    await worker.handle(received)
    assert [(c[0], c[2]["reason"]) for c in receiver.calls] == [
        ("dead_letter", "delivered 4 times")
    ]
    async with db.tenant(shop.tenant.schema) as conn:
        assert await conn.fetchval("SELECT status FROM images WHERE id = $1", image_id) == "failed"


REAL = os.environ.get("STELLY_SERVICEBUS_CONNECTION_STRING")
needs_namespace = pytest.mark.skipif(
    not REAL, reason="STELLY_SERVICEBUS_CONNECTION_STRING is not set: no Service Bus namespace"
)


@pytest.fixture
async def real_queue() -> AsyncIterator[ServiceBusJobQueue]:
    settings = load_settings(
        {"STELLY_SERVICEBUS_CONNECTION_STRING": REAL or "", "STELLY_QUEUE": "servicebus"}
    )
    queue = ServiceBusJobQueue.from_settings(
        settings, queue_name=os.environ.get("STELLY_SERVICEBUS_TEST_QUEUE", QUEUE_NAME)
    )
    # start from an empty queue
    while (stale := await queue.receive(wait_seconds=1)) is not None:
        await queue.complete(stale)
    yield queue
    await queue.close()


@needs_namespace
async def test_real_namespace_round_trip(real_queue: ServiceBusJobQueue) -> None:
    job = ImageJob(tenant_id=1, image_id=uuid.uuid4())
    await real_queue.enqueue(job)
    first = await real_queue.receive(wait_seconds=10)
    assert first is not None and first.job == job and first.delivery_count == 1
    await real_queue.renew(first)
    await real_queue.retry(first)
    second = await real_queue.receive(wait_seconds=10)
    assert second is not None and second.job == job and second.delivery_count == 2
    await real_queue.complete(second)
    assert await real_queue.receive(wait_seconds=2) is None


@needs_namespace
async def test_real_namespace_dead_letter(real_queue: ServiceBusJobQueue) -> None:
    job = ImageJob(tenant_id=1, image_id=uuid.uuid4())
    await real_queue.enqueue(job)
    received = await real_queue.receive(wait_seconds=10)
    assert received is not None
    await real_queue.dead_letter(received, "test poison")
    assert await real_queue.receive(wait_seconds=2) is None
