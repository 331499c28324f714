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
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.util._once import Once

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.resources import Resource

__all__ = ["azure_monitor_metrics_and_logs", "remove_distro_log_handler"]

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
