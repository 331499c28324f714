"""The active health check: ``GET {replica}{health path}`` every interval.

One background task, started and cancelled by the gateway's lifespan. It
also re-reads the upstreams file (at least every 0.25 s), so a replica that
a rolling restart adds is probed, and used, from its first 200.

Invariants: 200 puts a replica in rotation; any other status (a draining
replica answers 503 at once) or a failed or slow connection takes it out.
Probes of one round run concurrently, each bounded by the timeout, so a
hung replica delays no other. The loop survives any error, logging it once
per outage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from stelly_gateway.replicas import Origin, Replica, Upstreams
    from stelly_gateway.upstreams_file import UpstreamsFile

__all__ = ["FILE_CHECK_SECONDS", "HealthMonitor"]

_log = logging.getLogger("stelly.gateway")

FILE_CHECK_SECONDS = 0.25


class HealthMonitor:
    """Probes every replica and applies upstreams file changes."""

    def __init__(
        self,
        upstreams: Upstreams,
        session: aiohttp.ClientSession,
        *,
        interval: float,
        timeout: float,
        upstreams_file: UpstreamsFile | None = None,
    ) -> None:
        self.upstreams = upstreams
        self.session = session
        self.interval = interval
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.upstreams_file = upstreams_file
        self._probing: set[Replica] = set()
        self._failing = False

    async def run(self) -> None:
        """Check until cancelled (the first round at once)."""
        tick = min(self.interval, FILE_CHECK_SECONDS)
        next_round = 0.0
        probes: set[asyncio.Task[None]] = set()
        try:
            while True:
                try:
                    if self.upstreams_file is not None:
                        self.upstreams_file.refresh()
                    now = time.monotonic()
                    if now >= next_round:
                        next_round = now + self.interval
                        for origin, replica in self.upstreams.all_replicas():
                            if replica in self._probing:
                                continue  # still waiting on a slow one
                            task = asyncio.create_task(self._probe(origin, replica))
                            probes.add(task)
                            task.add_done_callback(probes.discard)
                    if self._failing:
                        _log.info("health checks running again")
                        self._failing = False
                except Exception:
                    if not self._failing:
                        _log.exception("health check round failed; retrying")
                        self._failing = True
                await asyncio.sleep(tick)
        finally:
            for task in list(probes):
                task.cancel()

    async def _probe(self, origin: Origin, replica: Replica) -> None:
        self._probing.add(replica)
        try:
            async with self.session.get(
                replica.url + origin.health_path, timeout=self.timeout, allow_redirects=False
            ) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            replica.mark_down(f"/readyz unreachable ({type(exc).__name__})")
            return
        finally:
            self._probing.discard(replica)
        if status == 200:
            replica.mark_up()
        else:
            replica.mark_down(f"/readyz answered {status}")
