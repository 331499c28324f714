"""Puts the tenant and the request id on every span started inside a request.

Spans only: metric attributes never carry them. The processor runs in
``on_start`` for recorded spans alone (the SDK does not call processors for
spans it did not sample), so an unsampled request pays nothing here. The
server span itself is started just before its request context exists and
gets both attributes from the server middleware instead
(:mod:`stelly_core.telemetry.middleware`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry.sdk.trace import SpanProcessor

from stelly_core.telemetry.context import REQUEST_CONTEXT

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import Span

__all__ = ["REQUEST_ID_ATTRIBUTE", "TENANT_ATTRIBUTE", "RequestContextSpanProcessor"]

#: The attribute ``stelly trace`` looks a request up by.
REQUEST_ID_ATTRIBUTE = "stelly.request_id"
TENANT_ATTRIBUTE = "tenant.slug"


class RequestContextSpanProcessor(SpanProcessor):
    """Copies ``tenant.slug`` and ``stelly.request_id`` from the request onto each span."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        request = REQUEST_CONTEXT.get()
        if request is None:
            return
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request.request_id)
        if request.tenant is not None:
            span.set_attribute(TENANT_ATTRIBUTE, request.tenant)
