"""The worker drains on SIGTERM (SPEC §8): real worker processes, Valkey, Azurite, PostgreSQL.

It stops claiming at once, finishes the job in hand if it can within its
budget (``STELLY_SHUTDOWN_SECONDS`` less the worker's margin), and otherwise
hands the job back so that another worker takes it at once, long before its
``claim_idle``. The Service Bus side of the same drain is in
``test_servicebus.py`` (with the fake receiver that file explains).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

from redis.asyncio import Redis
from stelly_media.jobs.redis_streams import DEAD_LETTER_STREAM, GROUP, STREAM
from stelly_media.worker import SHUTDOWN_MARGIN

from . import images
from .conftest import MakeStore, Workers
from .test_worker import (
    PATIENCE,
    Client,
    _eventually,
    _ready_events,
    _status,
    _upload,
    _wait_status,
)

#: A worker's budget for the job in hand after SIGTERM, through its real setting.
BUDGET = 1.0
SHORT_BUDGET = {"STELLY_SHUTDOWN_SECONDS": str(SHUTDOWN_MARGIN + BUDGET)}
#: Far longer than anything here takes: a job taken over only after it never is.
CLAIM_IDLE = "60"


async def _exit_code(process: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Wait (without blocking the loop) for the process to end: its code and the time it took."""
    started = time.monotonic()
    code = await asyncio.to_thread(process.wait, PATIENCE)
    return code, time.monotonic() - started


async def _worker_mid_job(
    workers: Workers, consumer: str, pause: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """A worker that has taken the queued job and holds it paused in the middle."""
    worker = workers.start(
        "--consumer", consumer, "--claim-idle", CLAIM_IDLE, "--pause-file", str(pause), env=env
    )
    assert await _eventually(pause.exists), "the worker never reached the middle of the job"
    return worker


async def _blocked_readers(redis: Redis) -> int:
    """Clients blocked in a read-only ``XREAD``: a worker waiting for a job, claiming nothing."""
    clients = await redis.client_list()
    return sum(1 for c in clients if c.get("cmd") == "xread" and "b" in c.get("flags", ""))


async def test_sigterm_while_waiting_for_a_job_exits_at_once(
    workers: Workers, redis: Redis, empty_queue: None
) -> None:
    # a 30 s wait per receive: a worker that waited it out would be far slower than this
    worker = workers.start("--consumer", "idle", "--poll", "30")

    async def waiting() -> bool:
        return await _blocked_readers(redis) >= 1

    assert await _eventually(waiting), "the worker never waited for a job"
    worker.send_signal(signal.SIGTERM)
    code, took = await _exit_code(worker)
    assert code == 0
    assert took < 10, f"took {took:.2f} s to stop"  # generous: the wait it cut short is 30 s
    # and it left nothing claimed behind
    assert (await redis.xpending(STREAM, GROUP))["pending"] == 0


async def test_a_job_that_cannot_finish_in_time_is_handed_back_and_taken_at_once(
    client: Client,
    make_store: MakeStore,
    workers: Workers,
    redis: Redis,
    tmp_path: Path,
    empty_queue: None,
) -> None:
    shop = await make_store()
    image_id = await _upload(client, shop, images.jpeg(1600, 1200))
    pause = tmp_path / "paused"
    leaving = await _worker_mid_job(workers, "leaving", pause, SHORT_BUDGET)
    # the job stays paused past the worker's 1 s budget: it must give it back
    leaving.send_signal(signal.SIGTERM)
    code, took = await _exit_code(leaving)
    assert code == 0
    assert took >= BUDGET  # it gave the job its budget first
    assert await _status(client, shop, image_id) == "processing"
    pending = await redis.xpending_range(STREAM, GROUP, min="-", max="+", count=10)
    assert len(pending) == 1
    assert pending[0]["times_delivered"] == 0  # the hand-back spends no delivery
    assert pending[0]["time_since_delivered"] > int(CLAIM_IDLE) * 1000  # free for the taking

    started = time.monotonic()
    workers.start("--consumer", "taker", "--claim-idle", CLAIM_IDLE)
    body = await _wait_status(client, shop, image_id, "ready")
    # taken at once: not after the 60 s a job of a dead worker waits
    assert time.monotonic() - started < int(CLAIM_IDLE) / 2
    assert sorted(body["variants"], key=int) == ["320", "640", "1280"]
    assert len(await _ready_events(redis, shop.tenant.id, image_id)) == 1
    assert (await redis.xpending(STREAM, GROUP))["pending"] == 0
    assert await redis.xlen(DEAD_LETTER_STREAM) == 0


async def test_a_job_that_finishes_in_time_is_completed_before_exit(
    client: Client,
    make_store: MakeStore,
    workers: Workers,
    redis: Redis,
    tmp_path: Path,
    empty_queue: None,
) -> None:
    shop = await make_store()
    image_id = await _upload(client, shop, images.jpeg(1600, 1200))
    pause = tmp_path / "paused"
    # a budget of 55 s: plenty
    finishing = await _worker_mid_job(
        workers, "finishing", pause, {"STELLY_SHUTDOWN_SECONDS": "60"}
    )
    finishing.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.5)
    assert finishing.poll() is None, "the worker left before finishing its job"
    pause.unlink()  # the job goes on and ends inside the budget
    code, _ = await _exit_code(finishing)
    assert code == 0
    # done by this worker, before it exited (no other worker ever ran)
    assert await _status(client, shop, image_id) == "ready"
    assert await redis.xlen(STREAM) == 0  # completed: acknowledged and removed, not handed back
    assert len(await _ready_events(redis, shop.tenant.id, image_id)) == 1
