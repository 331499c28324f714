"""Application Insights through the Azure Monitor OpenTelemetry distro.

Used when ``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set. The distro sets
up the meter provider (its reader exports to Application Insights, next to
our Prometheus reader) and sends log records; traces go through our own
tracer provider with the distro's trace exporter (a span processor of
:func:`~stelly_core.telemetry.setup.configure_telemetry`), so the sampler is
``ParentBased`` like everywhere else and the global tracer provider stays
the switching one. The distro's own instrumentations are off (we
instrument what we use: asyncpg, redis, aiohttp, the Azure SDK), and so are
live metrics and performance counters (each a processor on every span).

Application Insights extrapolates counts (requests per second, failures)
from each item's sample rate, which its exporter reads from the span
attribute ``_MS.sampleRate`` (a percentage) that its own sampler writes.
Ours does not, so every recorded span gets it from
:class:`SampleRateSpanProcessor` (server spans from
:class:`~stelly_core.telemetry.serverspan.ServerSpans`): without it the
portal would show a tenth of the traffic at the default ratio. A request's
spans carry the rate it was decided at: the configured ratio, or lower
while the process is over its traces-per-second cap
(:mod:`~stelly_core.telemetry.sampling`). Spans of our own later hops (the
outbox relay, the realtime delivery, the worker) follow a flag that came
without its rate and carry the configured ratio, so while a cap is lowering
the ratio, Application Insights undercounts those dependencies; request
counts and rates are right, and exact counts are in the metrics anyway.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.util._once import Once

from stelly_core.telemetry.context import REQUEST_CONTEXT

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import Span

__all__ = [
    "SAMPLE_RATE_ATTRIBUTE",
    "SampleRateSpanProcessor",
    "azure_monitor_metrics_and_logs",
    "remove_distro_log_handler",
]

#: Where the Azure Monitor exporter reads a span's sample rate (percent).
SAMPLE_RATE_ATTRIBUTE = "_MS.sampleRate"


class SampleRateSpanProcessor(SpanProcessor):
    """Marks every recorded span with the sample rate it was recorded at (percent).

    Inside a recorded request, the rate that request was decided at (lowered
    while the process is over its traces-per-second cap); elsewhere (a queue
    message, an outbox row, whose trace another process decided on) the
    configured ratio, since only the trace's flag travels with it.
    """

    def __init__(self, percentage: float) -> None:
        self.percentage = percentage

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        request = REQUEST_CONTEXT.get()
        percentage = None if request is None else request.sample_percentage
        span.set_attribute(
            SAMPLE_RATE_ATTRIBUTE, self.percentage if percentage is None else percentage
        )


#: The distro instrumentations we do not use (we instrument asyncpg, redis,
#: aiohttp and the Azure SDK ourselves, and serve no Django/Flask/FastAPI).
_DISTRO_INSTRUMENTATIONS_OFF = (
    "django",
    "fastapi",
    "flask",
    "httpx",
    "httpx2",
    "psycopg2",
    "requests",
    "urllib",
    "urllib3",
)


def azure_monitor_metrics_and_logs(
    connection_string: str, resource: Resource, readers: list[MetricReader]
) -> MeterProvider:
    """Let the distro set up metrics (with ``readers``) and log records; no traces.

    Returns:
        The global meter provider the distro installed.
    """
    from azure.monitor.opentelemetry import configure_azure_monitor

    # a second configuration (tests) replaces the global meter provider
    metrics._internal._METER_PROVIDER_SET_ONCE = Once()
    options: dict[str, Any] = {
        "connection_string": connection_string,
        "resource": resource,
        "metric_readers": readers,
        "enable_live_metrics": False,
        "enable_performance_counters": False,
        "instrumentation_options": {
            **{name: {"enabled": False} for name in _DISTRO_INSTRUMENTATIONS_OFF},
            "azure_sdk": {"enabled": True},
        },
    }
    # The distro reads "no tracing" from the environment only (its
    # disable_tracing argument is overwritten by the variable's default).
    previous = os.environ.get("OTEL_TRACES_EXPORTER")
    os.environ["OTEL_TRACES_EXPORTER"] = "none"
    try:
        configure_azure_monitor(**options)
    finally:
        if previous is None:
            del os.environ["OTEL_TRACES_EXPORTER"]
        else:
            os.environ["OTEL_TRACES_EXPORTER"] = previous
    provider = metrics.get_meter_provider()
    if not isinstance(provider, MeterProvider):
        raise RuntimeError("the Azure Monitor distro did not set a meter provider")
    return provider


def remove_distro_log_handler() -> None:
    """Take the distro's log handler off the root logger (when the telemetry is replaced)."""
    from opentelemetry.instrumentation.logging.handler import LoggingHandler

    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, LoggingHandler):
            root.removeHandler(handler)
