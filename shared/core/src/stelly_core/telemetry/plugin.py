"""Wires telemetry into a Litestar app: the server middleware and ``GET /metrics``.

The one way a Stelly app gets telemetry (the tenancy plugin applies it for
menu, realtime and media; an app without tenancy adds it to its plugins).
It uses the telemetry the process configured (:func:`configure_telemetry`)
when the app is built; without one (most tests) the app gets ``/metrics``
and no middleware. With tracing and the request log both off the
middleware still counts requests for the HTTP metrics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.plugins import InitPluginProtocol

from stelly_core.telemetry.applogging import RootLoggingConfig
from stelly_core.telemetry.metrics_route import metrics_router
from stelly_core.telemetry.setup import current_telemetry

if TYPE_CHECKING:
    from litestar.config.app import AppConfig

    from stelly_core.telemetry.setup import Telemetry

__all__ = ["TelemetryPlugin"]


class TelemetryPlugin(InitPluginProtocol):
    """Adds the server telemetry middleware (outermost) and ``GET /metrics``."""

    def __init__(self, telemetry: Telemetry | None = None) -> None:
        self.telemetry = telemetry

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        telemetry = self.telemetry or current_telemetry()
        app_config.route_handlers.append(metrics_router())
        if telemetry is None:
            return app_config
        # the root logger is the process's (configure_telemetry), not Litestar's
        app_config.logging_config = RootLoggingConfig()
        # Litestar lifts a subclass of its OpenTelemetry middleware out of
        # the route stack and wraps the whole app with it.
        app_config.middleware.append(telemetry.server_config().middleware)
        # spans are flushed when the process exits (configure_telemetry's atexit)
        app_config.on_shutdown.append(telemetry.flush_request_log)
        return app_config
