"""Trace context across hops that are not HTTP: outbox rows, stream entries, queue messages.

A hop carries the W3C ``traceparent`` of the span that produced it, as a
field of its own (an outbox column, a stream field, a Service Bus
application property). These helpers write and read such carriers with the
global propagator (:mod:`opentelemetry.propagate`, W3C trace context by
default), so they work whatever SDK setup the process did, or none.

Invariants:

* A carrier without a trace context, or with a malformed one, reads as
  ``None`` and never raises: old rows and foreign messages pass as before.
* Only a well-formed version-00 ``traceparent`` (55 characters) is ever
  written into a carrier; nothing is written when no span is active.
* A context read back is remote and built on an empty context, so nothing of
  the reader's own context (its active span, a suppression flag) leaks into
  the work done for the message.
* :func:`parse_traceparent` and :func:`format_traceparent` are the W3C
  header without the propagator machinery, for a hot path (the gateway):
  they accept exactly what the W3C propagator accepts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from opentelemetry import propagate, trace
from opentelemetry.context import Context

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

__all__ = [
    "TRACEPARENT",
    "TRACEPARENT_LENGTH",
    "TRACESTATE",
    "context_from_traceparent",
    "current_traceparent",
    "extract",
    "format_traceparent",
    "inject",
    "is_traceparent",
    "parse_traceparent",
]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
#: ``00-{32 hex}-{16 hex}-{2 hex}``: the only version this code writes
TRACEPARENT_LENGTH = 55
_VERSION_00 = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
# the W3C propagator's own pattern: a later version may append fields
_HEADER = re.compile(r"[ \t]*([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?[ \t]*")


def inject(
    carrier: MutableMapping[str, str], context: Context | None = None
) -> MutableMapping[str, str]:
    """Write the trace context (``traceparent``, ``tracestate``) into ``carrier``.

    Args:
        carrier: a mapping of strings (headers, message properties).
        context: the context to write; the current one when omitted.

    Returns:
        ``carrier``, unchanged when no valid span is active.
    """
    propagate.inject(carrier, context=context)
    return carrier


def extract(carrier: Mapping[str, str | bytes]) -> Context | None:
    """The remote trace context in ``carrier``, or ``None`` when it holds no valid one.

    Args:
        carrier: a mapping of strings or bytes (a Redis stream entry's fields
            decode as bytes); keys are matched case-sensitively, lower-case.
    """
    parent = carrier.get(TRACEPARENT)
    if parent is None:
        return None
    fields = {TRACEPARENT: _text(parent)}
    state = carrier.get(TRACESTATE)
    if state is not None:
        fields[TRACESTATE] = _text(state)
    return _valid(propagate.extract(fields, context=Context()))


def context_from_traceparent(value: str | bytes | None) -> Context | None:
    """The remote context of one ``traceparent`` value; ``None`` if absent or malformed."""
    if not value:
        return None
    return _valid(propagate.extract({TRACEPARENT: _text(value)}, context=Context()))


def current_traceparent(context: Context | None = None) -> str | None:
    """The ``traceparent`` of the active span (or of ``context``), to store with a message.

    Returns:
        The version-00 header value, or ``None`` when no valid span is active.
    """
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    value = carrier.get(TRACEPARENT)
    return value if value is not None and is_traceparent(value) else None


def parse_traceparent(value: str) -> tuple[int, int, int] | None:
    """The trace id, parent span id and flags of a ``traceparent`` header.

    Returns:
        ``None`` when the W3C propagator would reject it (malformed, all-zero
        ids, version ``ff``, or version ``00`` with extra fields).
    """
    match = _HEADER.fullmatch(value)
    if match is None:
        return None
    version, trace_hex, span_hex, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    trace_id, span_id = int(trace_hex, 16), int(span_hex, 16)
    if not trace_id or not span_id:
        return None
    return trace_id, span_id, int(flags, 16)


def format_traceparent(span_context: trace.SpanContext) -> str | None:
    """The version-00 ``traceparent`` of a span context; ``None`` when it is invalid."""
    if not span_context.is_valid:
        return None
    return (
        f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
        f"-{int(span_context.trace_flags):02x}"
    )


def _valid(context: Context) -> Context | None:
    span_context = trace.get_current_span(context).get_span_context()
    return context if span_context.is_valid else None


def _text(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else ""


def is_traceparent(value: str) -> bool:
    """Whether ``value`` is a well-formed version-00 ``traceparent``."""
    return len(value) == TRACEPARENT_LENGTH and _VERSION_00.fullmatch(value) is not None
