"""``python -m stelly_media``: serve the media API with uvicorn (port 8003 locally)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from stelly_core.serving import serve
    from stelly_core.settings import SettingsError, load_settings
    from stelly_core.telemetry.setup import configure_telemetry

    from stelly_media.app import create_app

    parser = argparse.ArgumentParser(prog="python -m stelly_media")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8003)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_telemetry("stelly-media")
        if not (settings.blob_connection_string or settings.blob_account_url):
            raise SettingsError(
                "invalid settings: STELLY_BLOB_CONNECTION_STRING or STELLY_BLOB_ACCOUNT_URL: "
                "one is needed for media"
            )
        app = create_app(settings)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    # drains on SIGTERM (SPEC §8): an upload that is streaming completes
    serve(
        app,
        app.state["lifecycle"],
        host=args.host,
        port=args.port,
        proxy_headers=False,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
