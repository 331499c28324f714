"""Graceful drain: how every Stelly process stops (SPEC §8), in one place.

A replica that is replaced or scaled in gets SIGTERM and is killed a grace
period later. What happens in between is the same in every service and in
the worker:

1. At the first SIGTERM (or SIGINT) the process is *draining* at once, and
   stays so: ``/readyz`` answers 503, so the edge (Container Apps' readiness
   probe, the local gateway's health check) stops sending it new work, while
   it keeps serving whatever still arrives.
2. After ``drain_seconds`` the drain hooks run, in the order registered, each
   bounded by ``shutdown_seconds`` (realtime spreads its 1012 closes here).
3. Then the process stops accepting and its in-flight work gets at most
   ``shutdown_seconds`` (uvicorn's ``timeout_graceful_shutdown``; the
   worker's job budget); the lifespan shutdown follows (the outbox relay
   flushes there).

A second signal cuts the drain delay short; a signal once the server is
already shutting down is uvicorn's own (SIGINT forces the exit). The whole
stop therefore takes at most ``drain_seconds`` + the hooks' bound +
``shutdown_seconds``: what ``infra/`` budgets inside
``terminationGracePeriodSeconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from stelly_core.settings import Settings

__all__ = ["Lifecycle"]

_log = logging.getLogger("stelly.lifecycle")


class Lifecycle:
    """The drain state of one process.

    Args:
        drain_seconds: how long the process keeps serving after the first
            signal while ``/readyz`` answers 503.
        shutdown_seconds: the bound on each drain hook and on in-flight work.
    """

    def __init__(self, drain_seconds: float = 5.0, shutdown_seconds: float = 15.0) -> None:
        self.drain_seconds = drain_seconds
        self.shutdown_seconds = shutdown_seconds
        #: ``time.monotonic()`` of the first signal, or ``None`` while serving normally
        self.draining_since: float | None = None
        self._hooks: list[Callable[[], Awaitable[None]]] = []
        self._hurry: asyncio.Event | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Lifecycle:
        """The lifecycle ``STELLY_DRAIN_SECONDS`` and ``STELLY_SHUTDOWN_SECONDS`` describe."""
        return cls(settings.drain_seconds, settings.shutdown_seconds)

    @property
    def draining(self) -> bool:
        """Whether the process has been asked to stop."""
        return self.draining_since is not None

    def on_drain(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Run ``hook`` after the drain delay, before the server stops accepting."""
        self._hooks.append(hook)

    def begin(self) -> bool:
        """Start draining now (idempotent).

        Returns:
            ``True`` the first time, ``False`` when already draining (then
            what is left of the drain delay is skipped).
        """
        if self.draining_since is not None:
            if self._hurry is not None:
                self._hurry.set()
            return False
        self.draining_since = time.monotonic()
        return True

    async def drain(self) -> None:
        """Wait out the drain delay (a second :meth:`begin` cuts it short), then run the hooks."""
        self.begin()
        self._hurry = asyncio.Event()
        _log.info("draining: not ready; serving for %.1fs more", self.drain_seconds)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hurry.wait(), timeout=self.drain_seconds)
        for hook in self._hooks:
            try:
                await asyncio.wait_for(hook(), timeout=self.shutdown_seconds)
            except Exception:
                _log.exception("drain hook %r failed", hook)

    def install_signal_handlers(self, on_drained: Callable[[], None]) -> None:
        """For a process without uvicorn (the worker): SIGTERM/SIGINT drain, then ``on_drained``.

        Must be called from the running event loop's thread.
        """
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[None]] = set()

        async def drain_then_stop() -> None:
            try:
                await self.drain()
            finally:
                on_drained()

        def on_signal() -> None:
            if self.begin():
                task = loop.create_task(drain_then_stop(), name="drain")
                tasks.add(task)
                task.add_done_callback(tasks.discard)

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
