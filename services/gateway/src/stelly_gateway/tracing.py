"""Edge tracing: one SERVER span per proxied request, and the trace context sent upstream.

The gateway is where a request's trace starts, or joins the browser's
(SPEC §9). Invariants:

- The span is named by the routing table's route, ``{method} {pattern}``
  (``GET /api/*``), with ``http.route`` set to the pattern; never by the raw
  path. A WebSocket handshake is a ``GET``; its span lasts as long as the
  socket.
- A client's valid ``traceparent`` keeps its trace id and its span as the
  parent, but not its sampled flag: the edge decides by the trace id, as
  ``TraceIdRatioBased`` does (``STELLY_TRACE_SAMPLE_RATIO``), and the span
  and every service after it (parent-based) follow that decision. A client's
  flag cannot force its requests to be traced (its choice of trace id can:
  the services' cap bounds that, the local edge has none). A malformed ``traceparent`` is
  replaced by a new trace; a client's ``tracestate`` is never forwarded
  (:mod:`stelly_gateway.headers` drops both; the upstream gets the edge's).
- Without a client's ``traceparent`` the tracer's own sampler decides for
  a new trace.
- The edge applies the ratio alone, not the services' traces-per-second
  cap (``STELLY_TRACES_PER_SECOND``): the gateway is the local edge, which
  ``stelly dev`` runs with no cap; in Azure, Front Door is the edge and
  the services decide.
- The upstream always gets the edge's ``traceparent`` (sampled or not), so
  the services follow the edge's decision rather than making their own.
- An unsampled request costs one header scan, a non-recording span, one
  context attach and one formatted header; no attribute is set. When the
  client's trace is sampled out, the span is made here without the SDK
  (what its parent-based sampler would make: a new span id, not sampled).
- The header is W3C ``traceparent`` formatted directly, not through the
  global propagator: the edge speaks W3C trace context only.
- The gateway's own background calls (replica health checks) make no spans:
  they would be root traces several times a second.
"""

from __future__ import annotations

import contextvars
import random
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, StatusCode, TraceFlags
from stelly_core.asgi import first_headers
from stelly_core.telemetry.propagation import (
    TRACEPARENT,
    format_traceparent,
    parse_traceparent,
)
from stelly_core.telemetry.sampling import TraceIdRule

if TYPE_CHECKING:
    from stelly_gateway.asgi import Scope
    from stelly_gateway.routing import Route

__all__ = ["EdgeSpan", "EdgeTracer", "route_pattern", "untraced_context"]

_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)
_EMPTY = Context()


def untraced_context() -> contextvars.Context:
    """A copy of the current context in which instrumentations make no spans.

    For a background task: ``asyncio.create_task(..., context=untraced_context())``.
    """
    context = contextvars.copy_context()
    context.run(otel_context.attach, otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
    return context


def route_pattern(route: Route) -> str:
    """The routing table's pattern of a route (``/api/*``)."""
    return route.prefix + "*"


class EdgeSpan:
    """The span of one proxied request, current until :meth:`finish`."""

    __slots__ = ("_token", "headers", "span")

    def __init__(self, span: trace.Span, headers: list[tuple[str, str]]) -> None:
        self.span = span
        #: the trace context headers for the upstream request
        self.headers = headers
        self._token = otel_context.attach(trace.set_span_in_context(span, _EMPTY))

    def finish(self, status: int) -> int:
        """End the span with the status sent to the client; returns ``status``."""
        otel_context.detach(self._token)
        span = self.span
        if span.is_recording():
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(StatusCode.ERROR)
        span.end()
        return status


class EdgeTracer:
    """Starts edge spans and decides sampling for traces a client started.

    Args:
        sample_ratio: the share of client-started traces that are recorded
            (the same ratio the tracer's sampler applies to new ones).
    """

    def __init__(self, sample_ratio: float) -> None:
        # the services' rule for a caller's trace, so edge and services agree
        self._rule = TraceIdRule(sample_ratio)
        self._tracer = trace.get_tracer("stelly.gateway")

    def start(self, scope: Scope, route: Route, request_id: str) -> EdgeSpan:
        """Open the span of a request ``route`` matched and make it current."""
        [header] = first_headers(scope, b"traceparent")
        client = parse_traceparent(header) if header else None
        if client is None:
            parent = _EMPTY  # a new trace: the tracer's sampler decides
        elif self._rule.sampled(client[0]):
            parent = trace.set_span_in_context(
                NonRecordingSpan(SpanContext(client[0], client[1], True, _SAMPLED)), _EMPTY
            )
        else:
            # not sampled: the span the SDK would make under a sampled-out parent,
            # made here without it (the common case of the web app's requests)
            unsampled = SpanContext(client[0], _new_span_id(), False, _NOT_SAMPLED)
            return EdgeSpan(NonRecordingSpan(unsampled), _headers(unsampled))
        method = scope.get("method", "GET")
        pattern = route_pattern(route)
        span = self._tracer.start_span(f"{method} {pattern}", context=parent, kind=SpanKind.SERVER)
        if span.is_recording():
            peer = scope.get("client")
            span.set_attributes(
                {
                    "http.request.method": method,
                    "http.route": pattern,
                    "url.path": scope["path"],
                    "url.scheme": scope.get("scheme", "http"),
                    "client.address": peer[0] if peer else "",
                    "stelly.route": route.name,
                    "stelly.origin": route.origin,
                    "stelly.request_id": request_id,
                }
            )
        return EdgeSpan(span, _headers(span.get_span_context()))


def _headers(span_context: SpanContext) -> list[tuple[str, str]]:
    """The upstream's ``traceparent`` (no ``tracestate``: the edge never has one)."""
    value = format_traceparent(span_context)
    return [] if value is None else [(TRACEPARENT, value)]


def _new_span_id() -> int:
    return random.getrandbits(64) or 1
