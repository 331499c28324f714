"""The HTTP server metrics, aggregated in place and exposed to Prometheus.

``http.server.request.duration`` (histogram, seconds; attributes
``http.request.method``, ``http.route``, ``http.response.status_code``) and
``http.server.active_requests`` (attribute ``http.request.method``) as the
semantic conventions name them; Prometheus sees
``http_server_request_duration_seconds`` and ``http_server_active_requests``.

Why not an OpenTelemetry SDK histogram: its ``record`` costs several
microseconds per call (attribute set hashing, a lock, one storage per
reader), most of the per-request budget. Here a request costs one dict
lookup and a bisect; the collector turns the counts into the exposition at
scrape time. Attributes are bounded by construction: the method is one of
the standard methods or ``_OTHER``, the route is a route template (never a
raw path) or empty when nothing matched, the status is an int.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

if TYPE_CHECKING:
    from collections.abc import Iterator

    from prometheus_client.registry import Collector

__all__ = ["DURATION_BUCKETS", "HttpServerMetrics", "normalize_method"]

#: The semantic conventions' advised boundaries for ``http.server.request.duration``.
DURATION_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip

_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY")
)
_LABELS = ["http_request_method", "http_route", "http_response_status_code"]


def normalize_method(method: str) -> str:
    """The method as a bounded attribute value: a known method or ``_OTHER``."""
    return method if method in _METHODS else "_OTHER"


class _Series:
    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(DURATION_BUCKETS) + 1)
        self.count = 0
        self.total = 0.0


class HttpServerMetrics:
    """Request durations by (method, route, status) and requests in flight by method."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, int], _Series] = {}
        self.active: dict[str, int] = {}

    def started(self, method: str) -> None:
        """A request with this (normalized) method began."""
        active = self.active
        active[method] = active.get(method, 0) + 1

    def finished(self, method: str, route: str, status: int, seconds: float) -> None:
        """A request ended: it is no longer active and its duration is counted."""
        self.active[method] -= 1
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series()
        series.buckets[bisect_left(DURATION_BUCKETS, seconds)] += 1
        series.count += 1
        series.total += seconds

    def collector(self) -> Collector:
        """A ``prometheus_client`` collector for these metrics."""
        return _Collector(self)

    def collect(self) -> Iterator[GaugeMetricFamily | HistogramMetricFamily]:
        duration = HistogramMetricFamily(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests.",
            labels=_LABELS,
            unit="seconds",
        )
        for (method, route, status), series in list(self._series.items()):
            cumulative = 0
            buckets: list[tuple[str, float]] = []
            for bound, count in zip(DURATION_BUCKETS, series.buckets, strict=False):
                cumulative += count
                buckets.append((repr(bound), cumulative))
            buckets.append(("+Inf", series.count))
            duration.add_metric([method, route, str(status)], buckets, series.total)
        yield duration
        active = GaugeMetricFamily(
            "http_server_active_requests",
            "Number of active HTTP server requests.",
            labels=["http_request_method"],
        )
        for method, value in list(self.active.items()):
            active.add_metric([method], value)
        yield active


class _Collector:
    def __init__(self, metrics: HttpServerMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[GaugeMetricFamily | HistogramMetricFamily]:
        return self._metrics.collect()

    def describe(self) -> list[object]:
        return []  # no names registered up front: several apps may share a registry in tests
