"""``python -m stelly_gateway``: serve the gateway on ``STELLY_PORT`` (8080)."""

from __future__ import annotations

import argparse
import sys

import uvicorn
from stelly_core.settings import SettingsError
from stelly_core.telemetry.setup import configure_telemetry

from stelly_gateway.app import create_app
from stelly_gateway.settings import load_gateway_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stelly-gateway", description="Stelly local edge")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (0.0.0.0 in a container)"
    )
    args = parser.parse_args(argv)
    try:
        configure_telemetry("stelly-gateway")
        settings = load_gateway_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        log_config=None,  # the telemetry's log format
        ws="websockets-sansio",  # no task per socket, as in realtime: cheaper reconnect storms
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=5,
        proxy_headers=False,  # the edge writes X-Forwarded-*; it never trusts a client's
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
