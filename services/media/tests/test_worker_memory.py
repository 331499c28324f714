"""A long-running worker's memory stays flat across jobs (issue 15): a real worker process.

Real PostgreSQL, Valkey and Azurite, and ``python -m stelly_media.worker`` as
deployed. Its peak RSS, from the kernel (``VmHWM`` in ``/proc/PID/status``),
stays under 150 MB through a burst of four 12 MP JPEGs and then, with the
peak counter reset (``5`` written to ``/proc/PID/clear_refs``), through one
39 MP JPEG: what the burst allocated was given back rather than kept.
``python -m bench.worker`` measures the same on the ``make run`` worker.
"""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from . import images
from .conftest import MakeStore, Workers
from .test_worker import Client, _upload, _wait_status

LIMIT_MB = 150
BURST = 4


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _memory_mb(pid: int) -> dict[str, float]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            found[key] = int(value.split()[0]) / 1024
    return found


async def test_peak_rss_stays_under_the_limit_through_a_burst_and_a_large_image(
    client: Client, make_store: MakeStore, workers: Workers, redis: Redis, empty_queue: None
) -> None:
    shop = await make_store()
    twelve = images.jpeg(4000, 3000)
    thirty_nine = images.jpeg(7200, 5400)
    worker = workers.start("--claim-idle", "5")

    burst = [await _upload(client, shop, twelve) for _ in range(BURST)]
    for image_id in burst:
        await _wait_status(client, shop, image_id, "ready")
    through_burst = _memory_mb(worker.pid)  # its whole life so far, start-up included

    _reset_peak(worker.pid)
    reset = _memory_mb(worker.pid)
    assert reset["VmHWM"] - reset["VmRSS"] < 2, reset  # the peak now starts from here
    large = await _upload(client, shop, thirty_nine)
    body = await _wait_status(client, shop, large, "ready")
    assert (body["width"], body["height"]) == (7200, 5400)
    after_burst = _memory_mb(worker.pid)

    assert worker.poll() is None, "the worker died"
    assert through_burst["VmHWM"] < LIMIT_MB, through_burst
    assert after_burst["VmHWM"] < LIMIT_MB, after_burst
