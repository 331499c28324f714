"""The outbox relay under real faults: Redis killed and restarted from its AOF,
Redis paused, PostgreSQL restarted, and a flush on stop.

Each fault is done to servers of this module's own (a PostgreSQL on its own
data directory, a Valkey with an append-only file on a fixed port), never to
the session's shared ones. Events are enqueued while the fault happens; every
event whose transaction committed must reach its stream and the outbox must
drain to empty within seconds of the fault ending.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from stelly_core.db import Database
from stelly_core.events import OutboxRelay, channel_key, enqueue_event
from stelly_core.localstack import EmbeddedPostgres, EmbeddedValkey, free_port
from stelly_core.redis import connect_redis
from stelly_core.settings import load_settings
from stelly_tenancy.migrator import migrate_platform

#: generous: the relay backs off at most ~1 s, so a healthy drain takes well under this
DRAIN_SECONDS = 15.0


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[EmbeddedPostgres]:
    with tempfile.TemporaryDirectory(prefix="stelly-relay-pg-") as tmp:
        os.chmod(tmp, 0o755)  # the embedded server runs as its own user when we are root
        server = EmbeddedPostgres(Path(tmp) / "data", delete_on_stop=True)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def own_valkey() -> Iterator[EmbeddedValkey]:
    with tempfile.TemporaryDirectory(prefix="stelly-relay-valkey-") as tmp:
        # an append-only file and a fixed port: restarted, it is at the same URL
        server = EmbeddedValkey(Path(tmp), port=free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
async def own_db(own_postgres: EmbeddedPostgres) -> AsyncIterator[Database]:
    database = await Database.connect(
        own_postgres.url, load_settings({"STELLY_ENV": "test"}), max_size=6
    )
    await migrate_platform(database)
    yield database
    await database.close()


async def _tenant(db: Database) -> int:
    slug = "rf" + secrets.token_hex(4)
    async with db.platform() as conn:
        return int(
            await conn.fetchval(
                "INSERT INTO tenants (slug, name, schema_name) VALUES ($1, $1, $2) RETURNING id",
                slug,
                "t_" + slug,
            )
        )


@dataclass
class Producer:
    """Enqueues numbered events, one transaction each, and remembers the committed ones."""

    db: Database
    tenant_id: int
    committed: list[int] = field(default_factory=list)
    failed: int = 0

    async def run(self, until: asyncio.Event) -> None:
        n = 0
        while not until.is_set():
            try:
                async with asyncio.timeout(2):
                    async with self.db.platform() as conn:
                        await enqueue_event(
                            conn, self.tenant_id, "kitchen", "order.created", {"n": n}
                        )
            except Exception:
                self.failed += 1
                await asyncio.sleep(0.02)
            else:
                self.committed.append(n)
            n += 1
            await asyncio.sleep(0.005)


async def _drained(db: Database, tenant_id: int) -> float:
    """Seconds until the tenant's outbox rows are gone (fails after DRAIN_SECONDS)."""
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_SECONDS:
        with contextlib.suppress(Exception):
            async with db.platform() as conn:
                left = await conn.fetchval(
                    "SELECT count(*) FROM event_outbox WHERE tenant_id = $1", tenant_id
                )
            if left == 0:
                return time.monotonic() - started
        await asyncio.sleep(0.05)
    pytest.fail(f"the outbox did not drain within {DRAIN_SECONDS} s ({left} rows left)")


async def _relayed(url: str, tenant_id: int) -> list[int]:
    redis = connect_redis(url)
    try:
        entries = await redis.xrange(channel_key(tenant_id, "kitchen"))
    finally:
        await redis.aclose()
    return [json.loads(fields[b"data"])["n"] for _, fields in entries]


async def _under_fault(
    db: Database, redis_url: str, fault: Any, *, relay_db: Database | None = None, replicas: int = 1
) -> tuple[Producer, float]:
    """Enqueue while ``fault`` runs; seconds from the fault's end until the outbox is empty."""
    tenant_id = await _tenant(db)
    redis = connect_redis(redis_url)
    relays = [OutboxRelay(relay_db or db, redis, interval=0.2) for _ in range(replicas)]
    for relay in relays:
        relay.start()
    producer = Producer(db, tenant_id)
    done = asyncio.Event()
    producing = asyncio.create_task(producer.run(done))
    try:
        await asyncio.sleep(0.3)
        await fault()
        await asyncio.sleep(0.3)
        done.set()
        await producing
        took = await _drained(db, tenant_id)
    finally:
        done.set()
        for relay in relays:
            await relay.stop()
        await redis.aclose()
    print(
        f"drained {took:.2f} s after the fault; {len(producer.committed)} committed, {producer.failed} failed"
    )
    return producer, took


async def test_redis_killed_and_restarted_from_its_aof(
    own_db: Database, own_valkey: EmbeddedValkey, caplog: pytest.LogCaptureFixture
) -> None:
    async def fault() -> None:
        url = own_valkey.url
        own_valkey.kill()
        await asyncio.sleep(1.0)
        assert own_valkey.restart() == url

    caplog.set_level(logging.INFO, "stelly.events")
    producer, took = await _under_fault(own_db, own_valkey.url, fault, replicas=2)
    relayed = await _relayed(own_valkey.url, producer.tenant_id)
    assert len(producer.committed) > 20
    assert set(producer.committed) <= set(relayed), "committed events are missing"
    assert relayed == sorted(relayed), "events left their commit order"
    assert took < DRAIN_SECONDS
    # once per outage and relay (two replicas here), not once per retry
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert 1 <= len(warnings) <= 2, warnings
    resumed = [r.getMessage() for r in caplog.records if "resumed" in r.getMessage()]
    assert len(resumed) == len(warnings), resumed


async def test_redis_paused(own_db: Database, own_valkey: EmbeddedValkey) -> None:
    async def fault() -> None:
        own_valkey.pause()
        await asyncio.sleep(5.0)
        own_valkey.resume()

    producer, took = await _under_fault(own_db, own_valkey.url, fault)
    assert took < DRAIN_SECONDS
    relayed = await _relayed(own_valkey.url, producer.tenant_id)
    assert set(producer.committed) <= set(relayed)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_postgres_restarted(
    own_postgres: EmbeddedPostgres, own_valkey: EmbeddedValkey, mode: str
) -> None:
    settings = load_settings({"STELLY_ENV": "test"})
    producer_db = await Database.connect(own_postgres.url, settings, max_size=3)
    relay_db = await Database.connect(own_postgres.url, settings, max_size=3)

    async def fault() -> None:
        await asyncio.to_thread(own_postgres.shut_down, mode)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(own_postgres.start_again)

    try:
        producer, took = await _under_fault(producer_db, own_valkey.url, fault, relay_db=relay_db)
    finally:
        await producer_db.close()
        await relay_db.close()
    relayed = await _relayed(own_valkey.url, producer.tenant_id)
    assert producer.failed > 0, "the fault did not happen"
    assert set(producer.committed) <= set(relayed)
    assert took < DRAIN_SECONDS
