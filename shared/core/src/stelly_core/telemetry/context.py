"""The request a task is serving: its id and tenant, for spans and log lines.

The server middleware sets one :class:`RequestContext` per request (HTTP or
WebSocket) in a context variable; the tenancy middleware fills in the
tenant once it is resolved (:func:`set_tenant`). Tasks started while
serving the request inherit it. The span processor and the log filter
read it; metric attributes never do (a tenant or an id must never become a
label). Outside a request there is none, and readers use ``None``.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.trace import SpanContext

__all__ = ["REQUEST_CONTEXT", "RequestContext", "current_request", "set_tenant"]


class RequestContext:
    """The request id and the tenant slug of one request (the slug may come later).

    An unsampled request's span context lives here too (the server
    middleware's one unsampled span reads it): the caller's, or made on
    first use from ``trace_id``; and a recorded request's sample rate.
    """

    __slots__ = ("request_id", "sample_percentage", "span_context", "tenant", "trace_id")

    def __init__(self, request_id: str, tenant: str | None = None) -> None:
        self.request_id = request_id
        self.tenant = tenant
        #: a recorded request's sample rate (percent), for its spans' ``_MS.sampleRate``
        self.sample_percentage: float | None = None
        #: the trace id of an unsampled root request (0 otherwise)
        self.trace_id = 0
        #: an unsampled request's span context, once known
        self.span_context: SpanContext | None = None


REQUEST_CONTEXT: ContextVar[RequestContext | None] = ContextVar(
    "stelly_request_context", default=None
)


def current_request() -> RequestContext | None:
    """The request this task is serving, if any."""
    return REQUEST_CONTEXT.get()


def set_tenant(slug: str) -> None:
    """Record the resolved tenant on the current request (no-op outside one)."""
    request = REQUEST_CONTEXT.get()
    if request is not None:
        request.tenant = slug
