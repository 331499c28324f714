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
from pathlib import Path

import pytest
from stelly_core.events import RETENTION_SECONDS, channel_key, publish_event
from stelly_core.localstack import EmbeddedValkey, free_port
from stelly_core.redis import connect_redis
from stelly_realtime.history import HistoryReader
from stelly_realtime.offsets import is_recoverable, parse_offset

RETENTION_MS = RETENTION_SECONDS * 1000


class _Valkey:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.server = EmbeddedValkey(data_dir, port=self.port)
        self.url = self.server.start()

    def kill(self) -> None:
        self.server._server.terminate()  # type: ignore[attr-defined]
        self.server._server = None

    def restart(self) -> None:
        self.server = EmbeddedValkey(self.data_dir, port=self.port)
        assert self.server.start() == self.url


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
def valkey() -> _Valkey:
    tmp = Path(tempfile.mkdtemp(prefix="stelly-history-valkey-"))
    server = _Valkey(tmp / "live")
    yield server  # type: ignore[misc]
    if server.server._server is not None:
        server.server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


async def test_offsets_lost_with_redis_data_are_not_recovered(valkey: _Valkey) -> None:
    key = channel_key(1, "kitchen")
    await _publish(valkey.url, 1, 1)
    kept = await _publish(valkey.url, 1, 2)
    valkey.kill()
    older = valkey.data_dir.parent / "older"
    shutil.copytree(valkey.data_dir, older)  # the append-only file as it stood before the loss
    valkey.restart()
    lost = await _publish(valkey.url, 1, 3)  # the client sees this one live...
    valkey.kill()
    shutil.rmtree(valkey.data_dir)
    older.rename(valkey.data_dir)  # ...and Redis comes back without it
    valkey.restart()

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
