"""The client libraries whose calls become spans: asyncpg, redis-py, aiohttp, the Azure SDK.

Instrumented once per process by :func:`~stelly_core.telemetry.setup.configure_telemetry`
with its tracer provider (and :func:`uninstrument_clients` before a second
configuration, so a test can swap providers). redis-py's instrumentation
wraps ``redis.asyncio.Redis`` and ``redis.asyncio.cluster.RedisCluster``
(commands and pipelines) for redis-py 8. The Azure SDK traces through
azure-core's OpenTelemetry plugin (its HTTP policy opens the spans; the
aiohttp instrumentation stands aside while it does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.metrics import NoOpMeterProvider

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

__all__ = ["instrument_clients", "uninstrument_clients"]


def instrument_clients(tracer_provider: TracerProvider) -> None:
    """Trace asyncpg, redis-py, aiohttp client sessions and the Azure SDK."""
    AsyncPGInstrumentor().instrument(tracer_provider=tracer_provider)  # type: ignore[no-untyped-call]
    RedisInstrumentor().instrument(tracer_provider=tracer_provider)
    # spans and traceparent only: its client-duration histogram would cost an
    # SDK record (several µs) per proxied request in the gateway
    AioHttpClientInstrumentor().instrument(
        tracer_provider=tracer_provider, meter_provider=NoOpMeterProvider()
    )
    from azure.core.settings import settings
    from azure.core.tracing.ext.opentelemetry_span import OpenTelemetrySpan

    settings.tracing_implementation = OpenTelemetrySpan


def uninstrument_clients() -> None:
    """Undo :func:`instrument_clients` (a no-op for what is not instrumented)."""
    for instrumentor in (
        AsyncPGInstrumentor(),  # type: ignore[no-untyped-call]
        RedisInstrumentor(),
        AioHttpClientInstrumentor(),
    ):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
    from azure.core.settings import settings

    settings.tracing_implementation = None
