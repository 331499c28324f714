"""The configuration of the server middleware, as Litestar's OpenTelemetry plugin takes it.

A subclass of the plugin's :class:`~litestar.plugins.opentelemetry.OpenTelemetryConfig`
whose ``middleware`` is :class:`~stelly_core.telemetry.middleware.ServerTelemetryMiddleware`:
appended to an app's middleware, Litestar lifts it out of the per-route
stack and wraps the whole app with it (its OpenTelemetry plugin does that for
any subclass of its middleware class).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from litestar.plugins.opentelemetry import (
    OpenTelemetryConfig,
    OpenTelemetryInstrumentationMiddleware,
)

from stelly_core.telemetry.httpmetrics import HttpServerMetrics
from stelly_core.telemetry.middleware import ServerTelemetryMiddleware
from stelly_core.telemetry.sampling import TraceIdRule

if TYPE_CHECKING:
    from stelly_core.telemetry.requestlog import RequestLog
    from stelly_core.telemetry.serverspan import ServerSpans

__all__ = ["ServerTelemetryConfig"]


@dataclass
class ServerTelemetryConfig(OpenTelemetryConfig):
    """The server spans (``None``: none), the request log (``None``: no lines) and the metrics.

    The middleware makes the sampling decision itself and records server
    spans without the SDK's tracer (:mod:`~stelly_core.telemetry.serverspan`).
    """

    #: records the server spans of sampled requests; ``None`` with tracing off
    spans: ServerSpans | None = field(default=None)

    #: which requests get a recorded span (callers' traces and roots alike)
    sampling: TraceIdRule = field(default_factory=lambda: TraceIdRule(1.0))
    request_log: RequestLog | None = field(default=None)
    http_metrics: HttpServerMetrics = field(default_factory=HttpServerMetrics)
    middleware_class: type[OpenTelemetryInstrumentationMiddleware] = field(
        default=ServerTelemetryMiddleware
    )
