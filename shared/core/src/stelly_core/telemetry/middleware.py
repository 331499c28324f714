"""The server span, the request line and the HTTP metrics of every request.

Installed through Litestar's OpenTelemetry plugin machinery (a subclass of
its middleware class, so Litestar wraps the whole app with it, outside
routing and the exception handlers): it sees every response, 404s and
refusals of the tenancy middleware included, and reads the route template
Litestar's router leaves in ``scope["path_template"]`` (OpenAPI style,
``/api/v1/admin/orders/{order_id}``).

Why not the plugin's own middleware (opentelemetry-instrumentation-asgi):
it names spans and labels metrics before routing, so by the raw path
(``GET /api/v1/admin/orders/123``); it builds attribute dicts, records an
SDK histogram and wraps ``send``/``receive`` with child spans for every
request, sampled or not. Together that is several times the per-request
budget (a cached menu GET is ~80 µs, the budget a tenth of it).

Sampling: the process's :class:`~stelly_core.telemetry.sampling.TraceIdRule`
(the ratio, lowered while the process is over its traces-per-second cap) on
the request's trace id: a root's fresh one, or a caller's. A caller's trace
id is kept but its sampled flag is NOT trusted (in Azure, Front Door hands a
browser's header straight to the service, and a client must not be able to
force every request to be recorded); the rule is the one the local gateway
applies at the edge, so both make the same decision for the same trace at
the same ratio and a trace stays whole across them. The
header is read by the one W3C parser
(:func:`~stelly_core.telemetry.propagation.parse_traceparent`). A request without
a usable ``x-request-id`` gets one 128-bit random number as its request id,
and a root (no caller's trace) the same number as its trace id: the two
are then equal. A recorded request gets a
:class:`~stelly_core.telemetry.serverspan.ServerSpan` (the SDK's ended
form, built without its ``Span``; see that module), with its attributes
built for it alone; an unsampled one gets what the SDK would give it (the
sampled flag off, so every child is dropped) without the SDK's sampler:
one pass over the header list, one attach of a context shared by every
unsampled request (:class:`_UnsampledRequestSpan`), a counter update and
the request line. Its line carries the trace id but no span id (no span
of it is recorded).

The server span's attributes, ``stelly.request_id`` and ``tenant.slug``
(known only after tenancy) among them, are all set at its end. Every span
started inside the request gets both from the request-context span
processor.

With tracing and the request log both off the middleware stays, for the
HTTP metrics alone (they are not switched off).

Invariants: span names and ``http.route`` are ``{method} {template}`` or
just ``{method}`` when no route matched, never a raw path; the method is a
standard one or ``_OTHER``. ``/healthz``, ``/readyz`` and ``/metrics`` are
neither traced, counted nor logged. WebSocket connections get a span for
their handshake (it ends at accept or refusal); the connection's context
stays current for whatever the socket does afterwards.
"""

from __future__ import annotations

import re
from asyncio import CancelledError
from contextvars import ContextVar
from random import getrandbits
from time import perf_counter
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType
from litestar.middleware.base import AbstractMiddleware
from litestar.plugins.opentelemetry import OpenTelemetryInstrumentationMiddleware
from opentelemetry import context as otel_context
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context
from opentelemetry.trace import INVALID_SPAN_CONTEXT, NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation import _SPAN_KEY
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

from stelly_core.telemetry.context import REQUEST_CONTEXT, RequestContext
from stelly_core.telemetry.httpmetrics import normalize_method
from stelly_core.telemetry.processor import REQUEST_ID_ATTRIBUTE, TENANT_ATTRIBUTE
from stelly_core.telemetry.propagation import parse_traceparent

if TYPE_CHECKING:
    from collections.abc import Callable

    from litestar.types import ASGIApp, Receive, Scope, Send

    from stelly_core.telemetry.config import ServerTelemetryConfig
    from stelly_core.telemetry.serverspan import ServerSpan

__all__ = ["EXCLUDED_PATHS", "ServerTelemetryMiddleware"]


#: Probes and scrapes: not requests anyone wants to see.
EXCLUDED_PATHS = frozenset(("/healthz", "/readyz", "/metrics"))

_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
_WS_ENDS = frozenset(("websocket.accept", "websocket.close", "websocket.http.response.start"))
_NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)


def _context_setters() -> tuple[Callable[[Context], Any], Callable[[Any], None]]:
    """Attach and detach of the current OpenTelemetry context.

    With the default (contextvars) runtime context that is one context
    variable: set and reset it directly, without the API's two calls deep
    wrappers. Attach and detach happen in the same task here, so the API's
    guard (a detach from another context is logged, not raised) is not needed.
    """
    variable = getattr(otel_context._RUNTIME_CONTEXT, "_current_context", None)
    if isinstance(variable, ContextVar):
        return variable.set, variable.reset
    return otel_context.attach, otel_context.detach


_attach, _detach = _context_setters()


class ServerTelemetryMiddleware(OpenTelemetryInstrumentationMiddleware):
    """A lean ASGI middleware that follows the HTTP server semantic conventions."""

    def __init__(self, app: ASGIApp, config: ServerTelemetryConfig) -> None:
        # Not the parent's __init__: it builds the instrumentation-asgi middleware.
        AbstractMiddleware.__init__(self, app=app, scopes=config.scopes)
        #: records the sampled requests' spans (``None``: tracing off); the decision is made here
        self.spans = config.spans
        #: the decision on a request's trace (the gateway's rule too)
        self.sampling = config.sampling
        self.request_log = config.request_log
        self.metrics = config.http_metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request or socket inside its span and request context."""
        if scope["path"] in EXCLUDED_PATHS:
            await self.app(scope, receive, send)
            return
        start = perf_counter()
        # one pass over the header list for the two names wanted (no dict of them all)
        raw_id = traceparent = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                raw_id = value
            elif name == b"traceparent":
                traceparent = value
        values: Any = scope  # an HTTP or WebSocket scope: ``method`` only in the former
        is_http = values["type"] == "http"
        method = normalize_method(values["method"]) if is_http else "GET"
        #: the recorded server span; ``None`` when this request is not sampled
        span: ServerSpan | None = None
        #: the request line's trace id (hex)
        trace_hex: str | None = None
        context_token = None
        spans = self.spans
        if raw_id is not None and _REQUEST_ID.fullmatch(raw_id):
            request_id = raw_id.decode("latin-1")
            bits = 0
        else:
            # a fresh id: the same random bits serve a root's trace id
            bits = getrandbits(128) or 1
            request_id = f"{bits:032x}"
        request = RequestContext(request_id)
        if spans is not None:
            remote = _caller_context(traceparent) if traceparent is not None else None
            if remote is not None:  # the caller's trace, our decision (see the module docstring)
                trace_id = remote.trace_id
                trace_hex = f"{trace_id:032x}"
            elif bits:
                trace_id = bits
                trace_hex = request_id
            else:
                trace_id = getrandbits(128) or 1
                trace_hex = f"{trace_id:032x}"
            sampling = self.sampling
            if sampling.sampled(trace_id):
                span = spans.start(trace_id, remote, sampling.percentage)
                request.sample_percentage = span.percentage
                current = span.current
            else:
                if remote is not None:
                    # the caller's ids with OUR decision: children and injected
                    # traceparents must not carry a sampled flag we did not follow
                    request.span_context = tuple.__new__(
                        SpanContext,
                        (trace_id, remote.span_id, True, _NOT_SAMPLED, remote.trace_state, True),
                    )
                else:
                    request.trace_id = trace_id
                current = _UNSAMPLED
            context_token = _attach(current)
        request_token = REQUEST_CONTEXT.set(request)
        self.metrics.started(method)
        status = 0

        if is_http:

            async def send_status(message: Any) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

        else:

            async def send_status(message: Any) -> None:
                nonlocal status
                if not status and message["type"] in _WS_ENDS:
                    status = _websocket_status(message)
                    _finish(self, scope, span, trace_hex, request, method, status, start)
                await send(message)

        try:
            await self.app(scope, receive, send_status)
        except BaseException as exc:
            if span is not None:
                span.record_exception(exc)
            if not status:
                # a client that went away is not our error (nginx's 499)
                status = 499 if isinstance(exc, CancelledError) else 500
                _finish(self, scope, span, trace_hex, request, method, status, start)
            elif is_http:  # failed after the response started
                _finish(self, scope, span, trace_hex, request, method, status, start)
            raise
        else:
            if not status:  # the app sent nothing: the server answers 500 (or refuses the socket)
                status = 500
                _finish(self, scope, span, trace_hex, request, method, status, start)
            elif is_http:
                _finish(self, scope, span, trace_hex, request, method, status, start)
        finally:
            if context_token is not None:
                _detach(context_token)
            REQUEST_CONTEXT.reset(request_token)


# AbstractMiddleware wraps ``__call__`` with its scope/path/opt checks (a regex
# and dict lookups per request); ours is the set lookup above, and Litestar
# never hands this outermost middleware a lifespan scope.
ServerTelemetryMiddleware.__call__ = ServerTelemetryMiddleware.handle  # type: ignore[method-assign,assignment]


def _caller_context(header: bytes) -> SpanContext | None:
    """A caller's ``traceparent`` as a remote span context (``None`` when the W3C rules reject it)."""
    parsed = parse_traceparent(header.decode("latin-1"))
    if parsed is None:
        return None
    trace_id, span_id, flags = parsed
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(flags & 1))


class _UnsampledRequestSpan(NonRecordingSpan):
    """The current span of every unsampled request: that request's span context.

    One object serves every unsampled request (it reads the request from
    :data:`REQUEST_CONTEXT`, which is set and reset together with the
    OpenTelemetry context that holds it), so such a request attaches a
    context made once per process instead of building a span context, a
    span and a context of its own. The span context is what the SDK would
    give the request: the caller's when it sent one, else the request's
    trace id and a fresh span id (made when first asked for, by an
    ``inject`` or a log line), the sampled flag off either way.
    """

    def __init__(self) -> None:
        super().__init__(INVALID_SPAN_CONTEXT)

    def get_span_context(self) -> SpanContext:
        request = REQUEST_CONTEXT.get()
        if request is None:  # pragma: no cover - attached only inside a request
            return INVALID_SPAN_CONTEXT
        context = request.span_context
        if context is None:
            context = request.span_context = _new_span_context(
                request.trace_id, getrandbits(64) or 1
            )
        return context


#: The context of every unsampled request: its span, and client instrumentation off.
#: Nothing under an unsampled span is recorded (``ParentBased``), so the client
#: instrumentations (asyncpg, redis, aiohttp) are told to stand aside instead of
#: formatting statements and span names for nothing: a few microseconds per query
#: or command. Explicit ``inject`` (outbox rows, queue messages) still carries the
#: unsampled ``traceparent``; an aiohttp call made inside it carries none and
#: records no client metric.
_UNSAMPLED = Context({_SPAN_KEY: _UnsampledRequestSpan(), _SUPPRESS_INSTRUMENTATION_KEY: True})


def _new_span_context(trace_id: int, span_id: int) -> SpanContext:
    """An unsampled local span context from ids known to be valid (no range checks)."""
    return tuple.__new__(
        SpanContext, (trace_id, span_id, False, _NOT_SAMPLED, DEFAULT_TRACE_STATE, True)
    )


def _websocket_status(message: Any) -> int:
    kind = message["type"]
    if kind == "websocket.accept":
        return 101
    if kind == "websocket.http.response.start":
        return int(message["status"])
    return 403  # closed before it was accepted: the handshake was refused


def _start_attributes(scope: Scope, method: str, request_id: str) -> dict[str, Any]:
    """The request's attributes, built only for a recorded span (at its end)."""
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme", "http"),
        REQUEST_ID_ATTRIBUTE: request_id,
    }
    query: bytes = scope.get("query_string", b"")
    if query:
        attributes["url.query"] = query.decode("latin-1")
    version = scope.get("http_version")
    if version:
        attributes["network.protocol.version"] = version
    client: Any = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    return attributes


def _finish(
    middleware: ServerTelemetryMiddleware,
    scope: Scope,
    span: ServerSpan | None,
    trace_hex: str | None,
    request: RequestContext,
    method: str,
    status: int,
    start: float,
) -> None:
    duration = perf_counter() - start
    route: str | None = scope.get("path_template") or None
    middleware.metrics.finished(method, route or "", status, duration)
    span_hex = None
    if span is not None:
        attributes = _start_attributes(scope, method, request.request_id)
        attributes["http.response.status_code"] = status
        if route:
            attributes["http.route"] = route
        if request.tenant is not None:
            attributes[TENANT_ATTRIBUTE] = request.tenant
        span.end(
            f"{method} {route}" if route else method,
            attributes,
            status >= 500 and scope["type"] == ScopeType.HTTP,
            duration,
        )
    log = middleware.request_log
    if log is not None:
        if span is not None:
            span_hex = f"{span.context.span_id:016x}"
        log.write(
            start,
            method,
            route,
            status,
            duration,
            request.request_id,
            request.tenant,
            trace_hex,
            span_hex,
        )
