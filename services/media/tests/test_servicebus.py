"""The Service Bus job queue.

Service Bus cannot run on this machine, so the settlement tests below, and
those of the worker's drain on Service Bus, use a fake receiver and sender
(recording what the adapter asks of the SDK, and waiting on an empty queue
as Service Bus does); that is the only fake in the media tests. The tests at the end run against a real
namespace when ``STELLY_SERVICEBUS_CONNECTION_STRING`` is set (queue
``media-jobs``, or ``STELLY_SERVICEBUS_TEST_QUEUE``).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from stelly_core.db import Database
from stelly_core.settings import Settings, load_settings
from stelly_media.jobs import ImageJob
from stelly_media.jobs.base import encode_job
from stelly_media.jobs.servicebus import QUEUE_NAME, ServiceBusJobQueue, fully_qualified_namespace
from stelly_media.storage import BlobStore, original_name
from stelly_media.worker import Worker

from . import images
from .conftest import MakeStore, Store


@dataclass
class FakeMessage:
    body_bytes: bytes
    delivery_count: int

    @property
    def body(self) -> Any:
        return iter([self.body_bytes])


@dataclass
class FakeReceiver:
    """Stands in for ``ServiceBusReceiver``: hands out messages, records settlements.

    With ``waits``, an empty queue holds ``receive_messages`` for its whole
    ``max_wait_time``, as Service Bus does; ``on_receive`` runs as a message
    is handed out (to make a stop arrive just then).
    """

    inbox: list[FakeMessage] = field(default_factory=list)
    calls: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)
    waits: bool = False
    on_receive: Callable[[], None] | None = None

    async def receive_messages(
        self, max_message_count: int, max_wait_time: float
    ) -> list[FakeMessage]:
        if not self.inbox and self.waits:
            await asyncio.sleep(max_wait_time)
        taken, self.inbox = self.inbox[:max_message_count], self.inbox[max_message_count:]
        if taken and self.on_receive is not None:
            self.on_receive()
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
    await queue.release(fourth)  # a stopping worker hands it back: the lock goes at once
    assert [(c[0], c[1]) for c in receiver.calls] == [
        ("complete", messages[0]),
        ("abandon", messages[1]),
        ("dead_letter", messages[2]),
        ("renew", messages[3]),
        ("abandon", messages[3]),
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


async def _image_to_render(db: Database, store: BlobStore, shop: Store) -> uuid.UUID:
    """An image row in ``processing`` with its original stored, as an upload leaves it."""
    image_id = uuid.uuid4()
    async with db.tenant(shop.tenant.schema) as conn:
        await conn.execute(
            "INSERT INTO images (id, format, width, height, byte_size) VALUES ($1, 'jpeg', 800, 600, 1)",
            image_id,
        )
    await store.ensure_container()
    await store.originals.upload_blob(
        original_name(shop.tenant.id, image_id), images.jpeg(800, 600), overwrite=True
    )
    return image_id


async def _status(db: Database, shop: Store, image_id: uuid.UUID) -> str:
    async with db.tenant(shop.tenant.schema) as conn:
        return str(await conn.fetchval("SELECT status FROM images WHERE id = $1", image_id))


async def test_a_stopping_worker_abandons_the_job_it_cannot_finish(
    worker_parts: tuple[FakeReceiver, Worker],
    make_store: MakeStore,
    db: Database,
    media_settings: Settings,
    tmp_path: Path,
) -> None:
    """SIGTERM mid-job, past the budget: the message is abandoned, not left locked."""
    receiver, worker = worker_parts
    shop = await make_store()
    image_id = await _image_to_render(db, worker.store, shop)
    message = FakeMessage(encode_job(ImageJob(tenant_id=shop.tenant.id, image_id=image_id)), 1)
    receiver.inbox = [message]
    worker.pause_file = tmp_path / "paused"
    worker.finish_within = 0.2
    stop = asyncio.Event()
    running = asyncio.ensure_future(worker.run(stop, poll=0.05))
    for _ in range(600):
        if worker.pause_file.exists():
            break
        await asyncio.sleep(0.05)
    assert worker.pause_file.exists(), "the job never got under way"
    stop.set()
    await asyncio.wait_for(running, timeout=30)
    assert [(c[0], c[1]) for c in receiver.calls] == [("abandon", message)]
    assert await _status(db, shop, image_id) == "processing"  # for the next worker to do


async def test_a_job_received_as_the_stop_comes_is_abandoned_untouched(
    worker_parts: tuple[FakeReceiver, Worker], make_store: MakeStore, db: Database
) -> None:
    receiver, worker = worker_parts
    shop = await make_store()
    image_id = await _image_to_render(db, worker.store, shop)
    message = FakeMessage(encode_job(ImageJob(tenant_id=shop.tenant.id, image_id=image_id)), 1)
    stop = asyncio.Event()
    receiver.inbox, receiver.on_receive = [message], stop.set
    await asyncio.wait_for(worker.run(stop, poll=0.05), timeout=30)
    assert [(c[0], c[1]) for c in receiver.calls] == [("abandon", message)]
    assert await _status(db, shop, image_id) == "processing"


async def test_stop_cuts_a_waiting_receive_short(
    worker_parts: tuple[FakeReceiver, Worker],
) -> None:
    receiver, worker = worker_parts
    receiver.waits = True  # an empty queue: each receive would wait its full 30 s
    stop = asyncio.Event()
    running = asyncio.ensure_future(worker.run(stop, poll=30))
    await asyncio.sleep(0.3)
    assert not running.done()
    stop.set()
    await asyncio.wait_for(running, timeout=10)  # generous, and far below the 30 s wait
    assert receiver.calls == []


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
