"""uvicorn with the drain of :mod:`stelly_core.lifecycle`: how every service is served.

uvicorn on its own stops accepting at the first SIGTERM and closes every
WebSocket in the same instant. :class:`DrainingServer` puts the drain in
front: the first signal only marks the process draining (``/readyz`` → 503)
and starts :meth:`Lifecycle.drain`; uvicorn's own shutdown (stop accepting,
finish in-flight requests within ``timeout_graceful_shutdown`` =
``shutdown_seconds``, lifespan shutdown) starts when the drain is over. A
signal after that is uvicorn's own: SIGINT forces the exit.

uvicorn writes no access lines and configures no logging of its own: the
request line and the log format are :mod:`stelly_core.telemetry`'s.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any

import uvicorn

if TYPE_CHECKING:
    import socket
    from types import FrameType

    from stelly_core.lifecycle import Lifecycle

__all__ = ["DrainingServer", "serve"]


class DrainingServer(uvicorn.Server):
    """A uvicorn server that drains before it shuts down."""

    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle) -> None:
        config.timeout_graceful_shutdown = math.ceil(lifecycle.shutdown_seconds)
        super().__init__(config)
        self.lifecycle = lifecycle
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain: asyncio.Task[None] | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().serve(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit or self._loop is None:
            super().handle_exit(sig, frame)
            return
        # a signal handler: hand over to the loop (thread-safe, wakes it)
        self._loop.call_soon_threadsafe(self._on_signal)

    def _on_signal(self) -> None:
        if self.lifecycle.begin():
            self._drain = asyncio.get_running_loop().create_task(self._drain_then_exit())

    async def _drain_then_exit(self) -> None:
        try:
            await self.lifecycle.drain()
        finally:
            self.should_exit = True


def serve(app: Any, lifecycle: Lifecycle, *, host: str, port: int, **options: Any) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, then drain, then stop (blocking).

    Args:
        app: the ASGI app.
        lifecycle: the process's drain settings and hooks.
        host: the address to bind.
        port: the TCP port.
        **options: further :class:`uvicorn.Config` options.
    """
    # the telemetry's request line replaces the access log; its root handler formats uvicorn's lines
    options.setdefault("access_log", False)
    options.setdefault("log_config", None)
    DrainingServer(uvicorn.Config(app, host=host, port=port, **options), lifecycle).run()
