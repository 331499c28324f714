"""The process's global tracer provider: one object that follows each configuration.

OpenTelemetry lets a process set its global tracer provider once, and a
tracer, once obtained, keeps the provider it came from. Tests configure
telemetry many times in one process (each with its own in-memory
exporter), and modules obtain their tracers whenever they like. So the
global provider is a :class:`SwitchingTracerProvider`, set once; every
tracer it hands out asks for the current configuration's SDK tracer (one
attribute compare per span while the configuration is unchanged). With no
configuration, or tracing off, the current provider is the no-op one.

Inside an unsampled trace (the current span is valid, its sampled flag
off) a new span is the current one itself, not recorded: with the
``ParentBased`` sampler every process uses, the SDK would make a
non-recording span too, only at ten times the cost (ids, a sampling
result, a context to attach). The one difference is that such a "child"
has its parent's span id, which nothing records. Client instrumentation
runs on every request, sampled or not, so this is most of what tracing
costs an unsampled request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import NonRecordingSpan

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from opentelemetry.context import Context
    from opentelemetry.trace import Link, Span, SpanKind
    from opentelemetry.util.types import AttributeValue

__all__ = ["SwitchingTracerProvider"]


class SwitchingTracerProvider(trace.TracerProvider):
    """Hands out tracers that follow :meth:`switch`."""

    def __init__(self) -> None:
        self.current: trace.TracerProvider = trace.NoOpTracerProvider()
        self.generation = 0

    @property
    def resource(self) -> Resource:
        """The current provider's resource (exporters that read the global provider's, e.g. Azure Monitor)."""
        resource: Resource = getattr(self.current, "resource", Resource.get_empty())
        return resource

    def switch(self, provider: trace.TracerProvider | None) -> None:
        """Make ``provider`` (``None``: the no-op one) the target of every tracer."""
        self.current = provider if provider is not None else trace.NoOpTracerProvider()
        self.generation += 1

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Mapping[str, AttributeValue] | None = None,
    ) -> trace.Tracer:
        return _SwitchingTracer(
            self, (instrumenting_module_name, instrumenting_library_version, schema_url, attributes)
        )


class _SwitchingTracer(trace.Tracer):
    def __init__(self, provider: SwitchingTracerProvider, key: tuple[Any, ...]) -> None:
        self._provider = provider
        self._key = key
        self._generation = -1
        self._tracer: trace.Tracer = trace.NoOpTracer()

    def _unsampled_parent(self, context: Context | None) -> Span | None:
        """The current span when it is valid and not sampled (its children are neither)."""
        parent = trace.get_current_span(context)
        parent_context = parent.get_span_context()
        if parent_context.is_valid and not parent_context.trace_flags.sampled:
            return (
                parent if isinstance(parent, NonRecordingSpan) else NonRecordingSpan(parent_context)
            )
        return None

    def _real(self) -> trace.Tracer:
        provider = self._provider
        if self._generation != provider.generation:
            self._tracer = provider.current.get_tracer(*self._key)
            self._generation = provider.generation
        return self._tracer

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = trace.SpanKind.INTERNAL,
        attributes: Mapping[str, AttributeValue] | None = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> Span:
        unsampled = self._unsampled_parent(context)
        if unsampled is not None:
            return unsampled
        return self._real().start_span(
            name,
            context,
            kind,
            attributes,
            links,
            start_time,
            record_exception,
            set_status_on_exception,
        )

    def start_as_current_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = trace.SpanKind.INTERNAL,
        attributes: Mapping[str, AttributeValue] | None = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Any:  # the SDK's context manager, usable as a decorator too
        unsampled = self._unsampled_parent(context)
        if unsampled is not None:
            return _Current(unsampled)
        return self._real().start_as_current_span(
            name,
            context,
            kind,
            attributes,
            links,
            start_time,
            record_exception,
            set_status_on_exception,
            end_on_exit,
        )


class _Current:
    """``with``: the span that is already current (nothing to attach or end)."""

    __slots__ = ("span",)

    def __init__(self, span: Span) -> None:
        self.span = span

    def __enter__(self) -> Span:
        return self.span

    def __exit__(self, *exc: object) -> None:
        return None
