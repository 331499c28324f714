"""The trace of an upload, carried by its image job into the worker.

The media API sends a job inside a ``send media-jobs`` span (PRODUCER); the
queue message carries that span's W3C ``traceparent`` (a stream field on
Redis, an application property on Service Bus). The worker works each
delivery inside a ``process media-jobs`` span (CONSUMER), child of the
message's context, so the ``image.ready`` event it writes through the outbox
continues the upload's trace.

Invariants: a message without a ``traceparent`` (sent before this existed,
or by anything else), or with a malformed one, is worked exactly as before,
under a span of its own; nothing here raises on what a message carries.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.context import Context
from stelly_core.telemetry.propagation import context_from_traceparent, current_traceparent

if TYPE_CHECKING:
    from collections.abc import Iterator

    from stelly_media.jobs.base import ReceivedJob

__all__ = ["JOB_DESTINATION", "carried_traceparent", "sending_job", "working_on"]

#: The queue's name in span names and attributes (the Service Bus queue's name too).
JOB_DESTINATION = "media-jobs"

_tracer = trace.get_tracer("stelly.media.jobs")


@contextlib.contextmanager
def sending_job(system: str) -> Iterator[str | None]:
    """A PRODUCER span around sending one job.

    Args:
        system: the queue's ``messaging.system`` (``redis``, ``servicebus``).

    Yields:
        The ``traceparent`` the message carries (``None`` when tracing is off).
    """
    with _tracer.start_as_current_span(
        f"send {JOB_DESTINATION}", kind=trace.SpanKind.PRODUCER
    ) as span:
        if span.is_recording():
            span.set_attributes(
                {
                    "messaging.system": system,
                    "messaging.operation.name": "send",
                    "messaging.operation.type": "send",
                    "messaging.destination.name": JOB_DESTINATION,
                }
            )
        yield current_traceparent()


@contextlib.contextmanager
def working_on(received: ReceivedJob) -> Iterator[trace.Span]:
    """The worker's CONSUMER span for one delivery, active while it is worked and settled.

    Its parent is the message's context; a message without one starts a trace.
    """
    parent = context_from_traceparent(received.traceparent) or Context()
    with _tracer.start_as_current_span(
        f"process {JOB_DESTINATION}", context=parent, kind=trace.SpanKind.CONSUMER
    ) as span:
        if span.is_recording():
            span.set_attributes(
                {
                    "messaging.operation.name": "process",
                    "messaging.operation.type": "process",
                    "messaging.destination.name": JOB_DESTINATION,
                    "stelly.job.deliveries": received.delivery_count,
                }
            )
            if received.job is not None:
                span.set_attribute("stelly.image.id", str(received.job.image_id))
        yield span


def carried_traceparent(value: object) -> str | None:
    """A message's ``traceparent`` property as text (Service Bus hands back bytes)."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else None
