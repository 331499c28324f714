"""Recorded server spans, built without the SDK's ``Span`` object.

The server middleware records one span for each sampled request. Through
the SDK (``Tracer.start_span`` and ``Span.end``) that costs ~15 µs before
any processor runs: a sampler call, bounded attribute mappings with their
locks and validation, a lock per span, a processor round at the start. At
the default ratio that alone would be most of the per-request budget. A
server span is simpler than a general span: the middleware knows every
attribute, sets no events but an exception, and nobody else holds it. So
:class:`ServerSpans` keeps what a started span needs (its context, its
parent and its start time) in a :class:`ServerSpan`, and
at its end builds the SDK's own ended form, a
:class:`~opentelemetry.sdk.trace.ReadableSpan`, and hands it to the
process's span processors, as the SDK's ``Span.end`` would (~1.3 µs).

Invariants:
- Exporters cannot tell the difference: the ended span is a ``ReadableSpan``
  with the provider's resource, the instrumentation scope
  ``stelly_core.telemetry``, kind ``SERVER``, wall-clock start and end times
  in nanoseconds, and the status ``ERROR`` for a 5xx (``UNSET`` otherwise).
- Processors get ``on_end`` only, never ``on_start``: the span carries the
  request's attributes itself (``stelly.request_id`` and ``tenant.slug``,
  all set at its end), which is what the request-context processor's
  ``on_start`` is for; the one other start-time attribute, Application
  Insights' sample rate, is set by :class:`ServerSpans` itself when given
  its name (the rate the request was decided at, in percent).
- While the request runs, the current span is a non-recording span with
  this span's context, sampled flag ON: the SDK's ``ParentBased`` sampler
  records every child (asyncpg, redis, outgoing HTTP, the outbox's
  ``traceparent``) under this span's id, so the trace is the same as with
  an SDK server span. ``trace.get_current_span().set_attribute`` inside a
  request does nothing (no code here does it).
- A span ends once; :meth:`ServerSpan.end` is called by the middleware alone.
"""

from __future__ import annotations

import traceback
from random import getrandbits
from time import time_ns
from typing import TYPE_CHECKING, Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from opentelemetry.trace.propagation import _SPAN_KEY
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opentelemetry.sdk.resources import Resource
    from opentelemetry.trace.span import TraceState

__all__ = ["ServerSpan", "ServerSpans"]

_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_UNSET = Status(StatusCode.UNSET)
_ERROR = Status(StatusCode.ERROR)
_SCOPE = InstrumentationScope("stelly_core.telemetry")


class ServerSpan:
    """One recorded server span while its request runs."""

    __slots__ = ("_spans", "context", "current", "events", "parent", "percentage", "start_time")

    def __init__(
        self,
        spans: ServerSpans,
        context: SpanContext,
        parent: SpanContext | None,
        percentage: float,
    ) -> None:
        self._spans = spans
        self.context = context
        self.parent = parent
        #: the sample rate this request was recorded at (percent)
        self.percentage = percentage
        self.start_time = time_ns()
        self.events: list[Event] = []
        #: the OpenTelemetry context the request runs in: children are recorded under this span
        self.current = Context({_SPAN_KEY: NonRecordingSpan(context)})

    def record_exception(self, exc: BaseException) -> None:
        """An ``exception`` event, as the SDK's ``Span.record_exception`` writes it."""
        kind = type(exc)
        module = kind.__module__
        self.events.append(
            Event(
                "exception",
                {
                    "exception.type": f"{module}.{kind.__qualname__}"
                    if module and module != "builtins"
                    else kind.__qualname__,
                    "exception.message": str(exc),
                    "exception.stacktrace": "".join(
                        traceback.format_exception(kind, exc, exc.__traceback__)
                    ),
                    "exception.escaped": "False",
                },
            )
        )

    def end(self, name: str, attributes: dict[str, Any], error: bool, duration: float) -> None:
        """End the span with all its ``attributes``; ``duration`` in seconds."""
        spans = self._spans
        if spans.sample_rate_attribute is not None:
            attributes[spans.sample_rate_attribute] = self.percentage
        start = self.start_time
        ended = ReadableSpan(
            name=name,
            context=self.context,
            parent=self.parent,
            resource=spans.resource,
            attributes=attributes,
            events=self.events,
            kind=SpanKind.SERVER,
            status=_ERROR if error else _UNSET,
            start_time=start,
            end_time=start + int(duration * 1e9),
            instrumentation_scope=_SCOPE,
        )
        for processor in spans.processors:
            processor.on_end(ended)


class ServerSpans:
    """Starts recorded server spans for one process; ends go to its span processors."""

    def __init__(
        self,
        resource: Resource,
        processors: Sequence[SpanProcessor],
        sample_rate_attribute: str | None = None,
    ) -> None:
        self.resource = resource
        #: where a span carries its sample rate (Application Insights': ``_MS.sampleRate``)
        self.sample_rate_attribute = sample_rate_attribute
        # those that do something with an ended span (the request-context
        # processor, for one, acts only at a span's start)
        self.processors = tuple(
            processor
            for processor in processors
            if getattr(type(processor), "on_end", None) is not SpanProcessor.on_end
        )

    def start(self, trace_id: int, parent: SpanContext | None, percentage: float) -> ServerSpan:
        """A span in trace ``trace_id`` (the parent's when there is one), with a fresh span id.

        ``percentage`` is the sample rate the request was decided at.
        """
        state: TraceState = parent.trace_state if parent is not None else DEFAULT_TRACE_STATE
        # a valid, sampled, local context from ids known to be valid (no range checks)
        context = tuple.__new__(
            SpanContext, (trace_id, getrandbits(64) or 1, False, _SAMPLED, state, True)
        )
        return ServerSpan(self, context, parent, percentage)
