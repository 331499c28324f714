"""Run the menu service with uvicorn (``python -m stelly_menu``, port 8001)."""

from __future__ import annotations

import argparse
import os
import sys

from stelly_core.serving import serve
from stelly_core.settings import SettingsError, load_settings
from stelly_core.telemetry.setup import configure_telemetry

from stelly_menu.app import create_app

__all__ = ["DEFAULT_PORT", "main"]

DEFAULT_PORT = 8001


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT, then drain (SPEC §8); a bad setting stops start-up with its name."""
    parser = argparse.ArgumentParser(prog="stelly-menu", description="Stelly menu service")
    parser.add_argument("--host", default=os.environ.get("STELLY_MENU_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("STELLY_MENU_PORT", DEFAULT_PORT))
    )
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_telemetry("stelly-menu")
    except SettingsError as exc:
        print(f"stelly-menu: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings)
    serve(
        app,
        app.state["lifecycle"],
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        proxy_headers=False,
        server_header=False,
    )
    return 0
