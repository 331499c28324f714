"""Serving the app with uvicorn, tuned for many idle sockets."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

import uvicorn
from stelly_core.serving import DrainingServer
from stelly_core.settings import SettingsError, load_settings
from stelly_core.telemetry.setup import configure_telemetry

from stelly_realtime.app import create_app
from stelly_realtime.config import RealtimeConfig
from stelly_realtime.direct import ExposeServerSend

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["DEFAULT_PORT", "main", "uvicorn_config"]

DEFAULT_PORT = 8002


def uvicorn_config(app: object, config: RealtimeConfig, *, host: str, port: int) -> uvicorn.Config:
    """The server settings every realtime process runs with.

    The sans-I/O websockets protocol keeps no task per socket (pings are
    timers), closes with 1012 whatever socket is still open at shutdown (the
    drain has already closed the others, spread over a window), and only
    suspends a send when the socket's write buffer is full. No per-message
    deflate: its zlib state costs far more per socket than our small frames
    save, and without it an event is framed once for every socket
    (:mod:`stelly_realtime.direct`).
    """
    return uvicorn.Config(
        ExposeServerSend(app),
        host=host,
        port=port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=config.max_message_bytes,
        ws_ping_interval=config.ping_interval,
        ws_ping_timeout=config.ping_timeout,
        lifespan="on",
        access_log=False,  # the telemetry's request line instead
        log_config=None,  # the telemetry's log format
        log_level="warning",
        backlog=4096,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the realtime service (``python -m stelly_realtime``)."""
    parser = argparse.ArgumentParser(prog="python -m stelly_realtime")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_telemetry("stelly-realtime")
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        config = RealtimeConfig.from_environ()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    app = create_app(settings, config=config)
    server = DrainingServer(
        uvicorn_config(app, config, host=args.host, port=args.port), app.state["lifecycle"]
    )
    server.run()
    return 0
