"""``configure_telemetry``: the one place a Stelly process sets up OpenTelemetry.

Called once at start-up by every service, the gateway and the media
worker, before the app is built. It sets

- the root log format (:mod:`~stelly_core.telemetry.logformat`) and the
  request log (:mod:`~stelly_core.telemetry.requestlog`);
- the process's sampling rule for requests (:mod:`~stelly_core.telemetry.sampling`:
  the ratio, capped in traces per second) and a tracer provider sampling
  ``ParentBased(TraceIdRatioBased(ratio))`` for what else starts a trace, with
  the request-context span processor, the span file (``STELLY_TRACE_DIR``),
  Application Insights (``APPLICATIONINSIGHTS_CONNECTION_STRING``) and the
  processors a caller passes; behind the process's one global
  :class:`~stelly_core.telemetry.switching.SwitchingTracerProvider`;
- a meter provider with a Prometheus reader (``/metrics``) and the readers a
  caller passes, as the global meter provider;
- spans for asyncpg, redis-py, aiohttp and the Azure SDK.

With ``STELLY_TRACING=off`` there is no tracer provider (the global one is
the no-op), nothing is instrumented and the server middleware opens no
span. Calling it again with the same arguments returns the same
:class:`Telemetry`; with other arguments (tests) it shuts the previous one
down and replaces it. Instruments a module made before that keep the
previous meter provider, so make them where the app is built.
"""

from __future__ import annotations

import atexit
import os
import socket
from typing import TYPE_CHECKING

from opentelemetry import metrics, trace
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.util._once import Once
from prometheus_client import REGISTRY

from stelly_core.telemetry.azuremonitor import (
    SAMPLE_RATE_ATTRIBUTE,
    SampleRateSpanProcessor,
    azure_monitor_metrics_and_logs,
    remove_distro_log_handler,
)
from stelly_core.telemetry.config import ServerTelemetryConfig
from stelly_core.telemetry.httpmetrics import HttpServerMetrics
from stelly_core.telemetry.instrumentation import instrument_clients, uninstrument_clients
from stelly_core.telemetry.logformat import configure_logging, remove_logging
from stelly_core.telemetry.processor import RequestContextSpanProcessor
from stelly_core.telemetry.requestlog import RequestLog
from stelly_core.telemetry.sampling import TraceIdRule
from stelly_core.telemetry.serverspan import ServerSpans
from stelly_core.telemetry.settings import TelemetrySettings
from stelly_core.telemetry.switching import SwitchingTracerProvider

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TextIO

    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.trace import SpanProcessor

__all__ = ["Telemetry", "configure_telemetry", "current_telemetry", "shutdown_telemetry"]


class Telemetry:
    """What :func:`configure_telemetry` set up for this process."""

    def __init__(
        self,
        service_name: str,
        settings: TelemetrySettings,
        resource: Resource,
        tracer_provider: TracerProvider | None,
        meter_provider: MeterProvider,
        request_log: RequestLog | None,
        span_processors: Sequence[SpanProcessor] = (),
    ) -> None:
        self.service_name = service_name
        self.settings = settings
        self.resource = resource
        #: the SDK provider (``None`` with tracing off)
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.request_log = request_log
        #: the tracer provider's span processors (the server spans' ends go to them too)
        self.span_processors = tuple(span_processors)
        #: the process's one decision on which requests are recorded (every app shares its cap)
        self.sampling = TraceIdRule(settings.sample_ratio, settings.traces_per_second)
        self.http_metrics = HttpServerMetrics()
        self._collector = self.http_metrics.collector()
        REGISTRY.register(self._collector)
        self._closed = False

    def server_config(self) -> ServerTelemetryConfig:
        """The server middleware's configuration (the HTTP metrics are always on)."""
        spans = None
        if self.tracer_provider is not None:
            spans = ServerSpans(
                self.resource,
                self.span_processors,
                SAMPLE_RATE_ATTRIBUTE if self.settings.appinsights_connection_string else None,
            )
        return ServerTelemetryConfig(
            spans=spans,
            sampling=self.sampling,
            request_log=self.request_log,
            http_metrics=self.http_metrics,
        )

    def flush_request_log(self) -> None:
        """Write pending request lines now (an app's shutdown: never waits on an exporter)."""
        if self.request_log is not None:
            self.request_log.flush()

    def flush(self) -> None:
        """Write pending request lines and export finished spans now (may wait on exporters)."""
        self.flush_request_log()
        if self.tracer_provider is not None:
            self.tracer_provider.force_flush()

    def shutdown(self) -> None:
        """Flush, then stop every exporter and reader (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self.request_log is not None:
            self.request_log.flush()
        REGISTRY.unregister(self._collector)
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        if self.settings.appinsights_connection_string:
            remove_distro_log_handler()


_current: Telemetry | None = None
_switch = SwitchingTracerProvider()


def current_telemetry() -> Telemetry | None:
    """The telemetry this process configured, if it did."""
    return _current


def configure_telemetry(
    service_name: str,
    *,
    settings: TelemetrySettings | None = None,
    span_processors: Sequence[SpanProcessor] = (),
    metric_readers: Sequence[MetricReader] = (),
    log_stream: TextIO | None = None,
) -> Telemetry:
    """Set up traces, metrics and logs for this process.

    Args:
        service_name: ``stelly-menu``, ``stelly-realtime``, ``stelly-media``,
            ``stelly-worker``, ``stelly-gateway`` or ``stelly-platform``.
        settings: read from the environment when omitted.
        span_processors: further span processors (tests: an in-memory exporter's).
        metric_readers: further metric readers (tests: an in-memory reader).
        log_stream: where log and request lines go (standard error when omitted).

    Returns:
        The process's telemetry; its server config goes into each app.

    Raises:
        SettingsError: when a telemetry variable is malformed.
    """
    global _current
    settings = settings if settings is not None else TelemetrySettings.from_environ()
    if (
        _current is not None
        and _current.service_name == service_name
        and _current.settings == settings
        and not span_processors
        and not metric_readers
        and log_stream is None
    ):
        return _current
    shutdown_telemetry()
    configure_logging(service_name, settings.log_format, stream=log_stream)
    resource = Resource.create(
        {
            "service.name": service_name,
            "service.instance.id": os.environ.get("CONTAINER_APP_REPLICA_NAME")
            or f"{socket.gethostname()}-{os.getpid()}",
            "process.pid": os.getpid(),
        }
    )
    readers: list[MetricReader] = [PrometheusMetricReader(), *metric_readers]
    if settings.appinsights_connection_string:
        meter_provider = azure_monitor_metrics_and_logs(
            settings.appinsights_connection_string, resource, readers
        )
    else:
        # shut down by us (at exit, or when replaced), not by the SDK's own exit hook as well
        meter_provider = MeterProvider(
            metric_readers=readers, resource=resource, shutdown_on_exit=False
        )
        _set_meter_provider(meter_provider)
    tracer_provider = None
    processors: list[SpanProcessor] = []
    if settings.tracing:
        tracer_provider = TracerProvider(
            sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
            resource=resource,
            shutdown_on_exit=False,
        )
        processors = _span_processors(service_name, settings, span_processors)
        for processor in processors:
            tracer_provider.add_span_processor(processor)
    _switch.switch(tracer_provider)
    if not isinstance(trace.get_tracer_provider(), SwitchingTracerProvider):
        trace.set_tracer_provider(_switch)
    if tracer_provider is not None:
        instrument_clients(_switch)
    request_log = None
    if settings.request_log:
        request_log = RequestLog(service_name, settings.log_format, stream=log_stream)
    _current = Telemetry(
        service_name, settings, resource, tracer_provider, meter_provider, request_log, processors
    )
    return _current


def shutdown_telemetry() -> None:
    """Flush and stop this process's telemetry, un-instrument, trace nothing (tests)."""
    global _current
    if _current is None:
        return
    _current.shutdown()
    uninstrument_clients()
    _switch.switch(None)
    # what is recorded from now on goes nowhere, and log lines to standard error
    _set_meter_provider(NoOpMeterProvider())
    remove_logging()
    _current = None


def _span_processors(
    service_name: str, settings: TelemetrySettings, extra: Sequence[SpanProcessor]
) -> list[SpanProcessor]:
    processors: list[SpanProcessor] = [RequestContextSpanProcessor()]
    if settings.trace_dir is not None:
        from stelly_core.telemetry.spanfile import SpanFileExporter, SpanFileProcessor

        processors.append(SpanFileProcessor(SpanFileExporter(settings.trace_dir, service_name)))
    if settings.appinsights_connection_string:
        from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter

        processors.append(SampleRateSpanProcessor(settings.sample_ratio * 100.0))

        exporter = AzureMonitorTraceExporter(
            connection_string=settings.appinsights_connection_string
        )
        processors.append(BatchSpanProcessor(exporter))
    processors.extend(extra)
    return processors


def _set_meter_provider(provider: metrics.MeterProvider) -> None:
    # OpenTelemetry sets the global meter provider once per process; a second
    # configuration (tests) replaces it. Meters made through the API before
    # the first one follow along (they are proxies).
    metrics._internal._METER_PROVIDER_SET_ONCE = Once()
    metrics.set_meter_provider(provider)


@atexit.register
def _flush_at_exit() -> None:
    if _current is not None:
        _current.shutdown()
