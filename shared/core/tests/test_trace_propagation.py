"""Trace context through the carriers and the outbox, on real PostgreSQL and Valkey.

Spans go to an in-memory exporter on an SDK tracer provider (the default
sampler: parent-based, always on for roots).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from redis.asyncio import Redis
from stelly_core.db import Database
from stelly_core.events import OutboxRelay, channel_key, enqueue_event, publish_event
from stelly_core.telemetry.propagation import (
    context_from_traceparent,
    current_traceparent,
    extract,
    format_traceparent,
    inject,
    is_traceparent,
    parse_traceparent,
)
from stelly_core.telemetry.testing import captured_telemetry

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
PARENT_ID = 0x00F067AA0BA902B7


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span of the test, sampled at 1.0 (the process's telemetry, configured for it)."""
    with captured_telemetry("stelly-test") as captured:
        yield captured.exporter


def _remote(sampled: bool) -> Any:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    parent = SpanContext(TRACE_ID, PARENT_ID, is_remote=True, trace_flags=flags)
    return trace.set_span_in_context(NonRecordingSpan(parent))


def _parse(traceparent: str | bytes) -> tuple[int, int, bool]:
    """Trace id, span id and the sampled flag of a ``traceparent``."""
    text = traceparent.decode() if isinstance(traceparent, bytes) else traceparent
    _, trace_id, span_id, flags = text.split("-")
    return int(trace_id, 16), int(span_id, 16), bool(int(flags, 16) & 1)


# --- the carriers -------------------------------------------------------------------


def test_a_carrier_round_trips_the_active_span(spans: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        carrier = inject({})
        assert current_traceparent() == carrier["traceparent"]
    assert is_traceparent(carrier["traceparent"])
    context = extract({"traceparent": carrier["traceparent"].encode()})
    assert context is not None
    read = trace.get_current_span(context).get_span_context()
    assert read.trace_id == span.get_span_context().trace_id
    assert read.span_id == span.get_span_context().span_id
    assert read.is_remote


def test_no_active_span_writes_nothing() -> None:
    assert inject({}) == {}
    assert current_traceparent() is None


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        b"",
        "garbage",
        "00-" + "0" * 32 + "-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01",  # all-zero span id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # forbidden version
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
        b"\xff\xfe-not-text",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",  # upper case
    ],
)
def test_a_malformed_traceparent_reads_as_none(value: Any) -> None:
    assert context_from_traceparent(value) is None
    assert extract({} if value is None else {"traceparent": value}) is None
    if isinstance(value, str):
        assert parse_traceparent(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03\t",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future-field",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  # refused: 00
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ],
)
def test_the_fast_parser_agrees_with_the_w3c_propagator(value: str) -> None:
    context = context_from_traceparent(value)
    parsed = parse_traceparent(value)
    if context is None:
        assert parsed is None
        return
    span_context = trace.get_current_span(context).get_span_context()
    assert parsed == (span_context.trace_id, span_context.span_id, int(span_context.trace_flags))
    assert format_traceparent(span_context) == (
        f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
        f"-{int(span_context.trace_flags):02x}"
    )


# --- the outbox -------------------------------------------------------------------


async def _tenant_id(db: Database) -> int:
    async with db.platform() as conn:
        slug = "tp" + secrets.token_hex(4)
        return int(
            await conn.fetchval(
                "INSERT INTO tenants (slug, name, schema_name) VALUES ($1, $1, $2) RETURNING id",
                slug,
                "t_" + slug,
            )
        )


async def _relay_all(relay: OutboxRelay) -> None:
    while await relay.relay_once():
        pass


async def _published(redis: Redis, key: str, act: Any) -> bytes:
    """What the relay publishes on ``key`` while ``act()`` runs."""
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(key)
        await act()
        for _ in range(100):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message is not None:
                data: bytes = message["data"]
                return data
    raise AssertionError("nothing was published")


def _named(spans: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.name == name]


async def test_an_outbox_row_carries_its_trace_to_the_stream_and_the_message(
    db: Database, redis: Redis, spans: InMemorySpanExporter
) -> None:
    tenant_id = await _tenant_id(db)
    relay = OutboxRelay(db, redis)
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("POST /orders", kind=SpanKind.SERVER) as request:
        async with db.platform() as conn:
            await enqueue_event(conn, tenant_id, "order:7", "order.created", {"id": 7})
    key = channel_key(tenant_id, "order:7")
    message = await _published(redis, key, lambda: _relay_all(relay))

    [publish] = _named(spans, "publish order:{id}")
    assert publish.kind is SpanKind.PRODUCER
    assert publish.parent is not None
    assert publish.parent.span_id == request.get_span_context().span_id
    assert publish.context.trace_id == request.get_span_context().trace_id
    assert publish.attributes is not None
    assert publish.attributes["messaging.destination.name"] == key
    [(offset, fields)] = await redis.xrange(key)
    assert publish.attributes["messaging.message.id"] == offset.decode()
    # the entry and the message carry the publish span's context
    assert _parse(fields[b"traceparent"]) == (
        publish.context.trace_id,
        publish.context.span_id,
        True,
    )
    decoded = json.loads(message)
    assert decoded["traceparent"] == fields[b"traceparent"].decode()
    assert decoded["data"] == {"id": 7}
    assert message.endswith(b',"traceparent":"' + fields[b"traceparent"] + b'"}')


async def test_a_row_without_a_trace_is_relayed_as_before(
    db: Database, redis: Redis, spans: InMemorySpanExporter
) -> None:
    tenant_id = await _tenant_id(db)
    relay = OutboxRelay(db, redis)
    async with db.platform() as conn:
        await enqueue_event(conn, tenant_id, "kitchen", "order.created", {"id": 1})
        # a row written before the column existed, and one with a broken value
        for value in (None, "00-nonsense"):
            await conn.execute(
                "INSERT INTO public.event_outbox (tenant_id, channel, type, data, traceparent)"
                " VALUES ($1, 'kitchen', 'order.updated', '{}', $2)",
                tenant_id,
                value,
            )
    key = channel_key(tenant_id, "kitchen")
    message = await _published(redis, key, lambda: _relay_all(relay))
    assert message.endswith(b'"data":{"id":1}}')
    assert json.loads(message).keys() == {"offset", "type", "data"}
    entries = await redis.xrange(key)
    assert [sorted(fields) for _, fields in entries] == [[b"data", b"type"]] * 3
    assert not [s for s in spans.get_finished_spans() if s.name.startswith("publish")]


async def test_a_sampled_out_trace_makes_no_span_but_still_propagates(
    db: Database, redis: Redis, spans: InMemorySpanExporter
) -> None:
    tenant_id = await _tenant_id(db)
    relay = OutboxRelay(db, redis)
    token = otel_context.attach(_remote(False))
    try:
        async with db.platform() as conn:
            await enqueue_event(conn, tenant_id, "menu", "menu.updated", {})
            stored = await conn.fetchval(
                "SELECT traceparent FROM public.event_outbox WHERE tenant_id = $1", tenant_id
            )
    finally:
        otel_context.detach(token)
    assert stored == f"00-{TRACE_ID:032x}-{PARENT_ID:016x}-00"
    await _relay_all(relay)
    [(_, fields)] = await redis.xrange(channel_key(tenant_id, "menu"))
    trace_id, _, sampled = _parse(fields[b"traceparent"])
    assert (trace_id, sampled) == (TRACE_ID, False)
    assert not [s for s in spans.get_finished_spans() if s.context.trace_id == TRACE_ID]
    assert not [s for s in spans.get_finished_spans() if s.name.startswith("publish")]


async def test_the_running_relay_traces_no_polling_but_each_traced_event(
    db: Database, redis: Redis, spans: InMemorySpanExporter
) -> None:
    """The background relay's context suppresses instrumentation; a row's context does not."""
    tenant_id = await _tenant_id(db)
    relay = OutboxRelay(db, redis, interval=0.05)
    instrumented = [
        i
        for i in (AsyncPGInstrumentor(), RedisInstrumentor())
        if not i.is_instrumented_by_opentelemetry
    ]
    for instrumentor in instrumented:
        instrumentor.instrument()
    spans.clear()
    relay.start()
    try:
        await asyncio.sleep(0.3)  # a few idle passes
        assert not spans.get_finished_spans()
        with trace.get_tracer("test").start_as_current_span("change"):
            async with db.platform() as conn:
                await enqueue_event(conn, tenant_id, "menu", "menu.updated", {})
        relay.wake()
        for _ in range(100):
            if _named(spans, "publish menu"):
                break
            await asyncio.sleep(0.05)
    finally:
        await relay.stop()
        for instrumentor in instrumented:
            instrumentor.uninstrument()
    [publish] = _named(spans, "publish menu")
    [change] = _named(spans, "change")
    assert publish.parent is not None
    assert publish.parent.span_id == change.context.span_id
    # the Redis call is traced under the publish span; no query or call of the relay's
    # own makes a span (it would be a root: no parent)
    others = [s for s in spans.get_finished_spans() if s.name not in ("change", "publish menu")]
    assert all(s.parent is not None for s in others), [s.name for s in others]
    under_publish = [s for s in others if s.parent and s.parent.span_id == publish.context.span_id]
    assert under_publish
    assert {(s.attributes or {}).get("db.system") for s in under_publish} == {"redis"}


async def test_publish_event_takes_the_active_span(
    redis: Redis, spans: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("direct") as span:
        await publish_event(redis, 999_001, "menu", "menu.updated", b"{}")
    [(_, fields)] = (await redis.xrange(channel_key(999_001, "menu")))[-1:]
    assert _parse(fields[b"traceparent"])[:2] == (
        span.get_span_context().trace_id,
        span.get_span_context().span_id,
    )
