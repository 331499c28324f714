"""Telemetry captured in memory, for tests of any service.

``with captured_telemetry("stelly-menu") as captured:`` configures the
process's telemetry with every trace sampled, spans kept in memory, an
in-memory metric reader and log and request lines written to a string;
build the app inside the block. On exit the telemetry is shut down, so apps
built later get none.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stelly_core.telemetry.settings import TelemetrySettings
from stelly_core.telemetry.setup import configure_telemetry, shutdown_telemetry

if TYPE_CHECKING:
    from collections.abc import Iterator

    from opentelemetry.sdk.trace import ReadableSpan

    from stelly_core.telemetry.setup import Telemetry

__all__ = ["CapturedTelemetry", "captured_telemetry"]


class CapturedTelemetry:
    """The spans, metrics and log lines of the block."""

    def __init__(
        self,
        telemetry: Telemetry,
        exporter: InMemorySpanExporter,
        metric_reader: InMemoryMetricReader,
        log: io.StringIO,
    ) -> None:
        self.telemetry = telemetry
        self.exporter = exporter
        self.metric_reader = metric_reader
        self.log = log

    def spans(self) -> tuple[ReadableSpan, ...]:
        """The finished spans so far."""
        return self.exporter.get_finished_spans()

    def log_lines(self) -> list[str]:
        """Every log and request line so far (pending request lines are written first)."""
        self.telemetry.flush()
        return self.log.getvalue().splitlines()

    def json_lines(self) -> list[dict[str, Any]]:
        """The log lines parsed, when the format is JSON."""
        return [json.loads(line) for line in self.log_lines()]


@contextlib.contextmanager
def captured_telemetry(
    service_name: str, settings: TelemetrySettings | None = None
) -> Iterator[CapturedTelemetry]:
    """Configure this process's telemetry to record everything in memory (a test's).

    Args:
        service_name: the ``service.name`` of the spans.
        settings: sampling ratio 1.0 without a cap, text logs when omitted.
    """
    exporter = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    log = io.StringIO()
    telemetry = configure_telemetry(
        service_name,
        settings=settings
        if settings is not None
        else TelemetrySettings(sample_ratio=1.0, traces_per_second=0.0),
        span_processors=[SimpleSpanProcessor(exporter)],
        metric_readers=[reader],
        log_stream=log,
    )
    try:
        yield CapturedTelemetry(telemetry, exporter, reader, log)
    finally:
        shutdown_telemetry()
