"""Recovery after Redis lost data: a ``since`` the stream no longer holds is never recovered.

A Valkey of this test's own, with an append-only file, is killed (SIGKILL)
and restarted from an older copy of its data directory: what an append-only
file that missed its last second looks like after a crash. A client that saw
the lost event resumes with its offset and must be told ``recovered: false``
(it refetches over REST), before and after new events reach the stream.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from stelly_core.events import RETENTION_SECONDS, channel_key, publish_event
from stelly_core.localstack import EmbeddedValkey, free_port
from stelly_core.redis import connect_redis
from stelly_realtime.history import HistoryReader
from stelly_realtime.offsets import is_recoverable, parse_offset

RETENTION_MS = RETENTION_SECONDS * 1000


async def _recovered(url: str, key: str, since: str) -> bool:
    redis = connect_redis(url)
    try:
        history = await HistoryReader(redis).read(key, parse_offset(since), limit=100)
    finally:
        await redis.aclose()
    return is_recoverable(
        parse_offset(since), stream=history.stream, now_ms=history.now_ms, retention_ms=RETENTION_MS
    )


async def _publish(url: str, key_tenant: int, n: int) -> str:
    redis = connect_redis(url)
    try:
        return await publish_event(redis, key_tenant, "kitchen", "order.created", b'{"n":%d}' % n)
    finally:
        await redis.aclose()


@pytest.fixture
def valkey() -> Iterator[EmbeddedValkey]:
    tmp = Path(tempfile.mkdtemp(prefix="stelly-history-valkey-"))
    # an append-only file and a fixed port: restarted, it is at the same URL
    server = EmbeddedValkey(tmp / "live", port=free_port())
    server.start()
    yield server
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


async def test_offsets_lost_with_redis_data_are_not_recovered(valkey: EmbeddedValkey) -> None:
    key = channel_key(1, "kitchen")
    await _publish(valkey.url, 1, 1)
    kept = await _publish(valkey.url, 1, 2)
    url = valkey.url
    valkey.stop()  # a clean stop: the copy below must hold every write so far
    older = valkey.data_dir.parent / "older"
    shutil.copytree(valkey.data_dir, older)  # the append-only file as it stood before the loss
    assert valkey.restart() == url
    lost = await _publish(valkey.url, 1, 3)  # the client sees this one live...
    valkey.kill()
    shutil.rmtree(valkey.data_dir)
    older.rename(valkey.data_dir)  # ...and Redis comes back without it
    assert valkey.restart() == url

    assert await _recovered(valkey.url, key, kept)  # control: an offset still held
    assert not await _recovered(valkey.url, key, lost)  # newer than the stream's last entry
    await _publish(valkey.url, 1, 4)  # the relay goes on: the stream passes the lost offset
    assert not await _recovered(valkey.url, key, lost)
    assert await _recovered(valkey.url, key, kept)

    redis = connect_redis(valkey.url)
    try:
        await redis.flushall()  # the stream is gone altogether
    finally:
        await redis.aclose()
    assert not await _recovered(valkey.url, key, kept)
