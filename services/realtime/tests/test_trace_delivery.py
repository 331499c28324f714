"""The delivery span: one per event and process, child of the event's trace context.

A real realtime server (uvicorn) and real Valkey; spans go to an in-memory
exporter on an SDK tracer provider.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from redis.asyncio import Redis
from stelly_core.events import channel_key, publish_event
from stelly_core.settings import Settings
from stelly_core.telemetry.testing import captured_telemetry
from stelly_realtime.hub import split_traceparent

from .conftest import MakeTenant, Server, recv, staff_token, subscribe

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span of the test, sampled at 1.0 (the process's telemetry, configured for it)."""
    with captured_telemetry("stelly-test") as captured:
        yield captured.exporter


async def _deliveries(spans: InMemorySpanExporter, wanted: int) -> list[ReadableSpan]:
    for _ in range(100):
        found = [s for s in spans.get_finished_spans() if s.name.startswith("deliver ")]
        if len(found) >= wanted:
            return found
        await asyncio.sleep(0.02)
    return [s for s in spans.get_finished_spans() if s.name.startswith("deliver ")]


def test_the_trace_member_is_cut_off_exactly() -> None:
    event = b'{"offset":"1-0","type":"menu.updated","data":{"a":"b"}}'
    traced = event[:-1] + b',"traceparent":"' + TRACEPARENT.encode() + b'"}'
    assert split_traceparent(traced) == (event, TRACEPARENT.encode())
    assert split_traceparent(event) == (event, None)
    # a string datum that merely ends like one is left alone: its quotes are escaped
    tricky = b'{"offset":"1-0","type":"x","data":"\\",\\"traceparent\\":\\"' + b"0" * 55 + b'\\"}"}'
    assert split_traceparent(tricky) == (tricky, None)


async def test_a_traced_event_is_delivered_in_one_span_of_its_trace(
    realtime: Server,
    make_tenant: MakeTenant,
    redis: Redis,
    settings: Settings,
    spans: InMemorySpanExporter,
) -> None:
    tenant = await make_tenant()
    kitchens = [await realtime.connect(tenant) for _ in range(2)]
    try:
        for ws in kitchens:
            reply = await subscribe(ws, "kitchen", token=staff_token(settings, tenant))
            assert reply["op"] == "subscribed", reply
        with trace.get_tracer("test").start_as_current_span("relay") as relay:
            offset = await publish_event(redis, tenant.id, "kitchen", "order.created", b'{"id":5}')
        frames: list[dict[str, Any]] = [await recv(ws) for ws in kitchens]
    finally:
        for ws in kitchens:
            await ws.close()
    # clients see the event as always, without the trace member
    assert (
        frames
        == [
            {
                "op": "event",
                "channel": "kitchen",
                "offset": offset,
                "type": "order.created",
                "data": {"id": 5},
            }
        ]
        * 2
    )
    [deliver] = await _deliveries(spans, 1)
    assert deliver.name == "deliver kitchen"
    assert deliver.kind is SpanKind.CONSUMER
    assert deliver.parent is not None
    assert deliver.parent.span_id == relay.get_span_context().span_id
    assert deliver.context.trace_id == relay.get_span_context().trace_id
    assert deliver.attributes is not None
    assert deliver.attributes["stelly.realtime.sockets"] == 2
    assert deliver.attributes["messaging.message.id"] == offset


async def test_untraced_and_sampled_out_events_make_no_span(
    realtime: Server, make_tenant: MakeTenant, redis: Redis, spans: InMemorySpanExporter
) -> None:
    tenant = await make_tenant()
    ws = await realtime.connect(tenant)
    try:
        assert (await subscribe(ws, "menu"))["op"] == "subscribed"
        await publish_event(redis, tenant.id, "menu", "menu.updated", b'{"n":1}')
        unsampled = SpanContext(
            0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, True, TraceFlags(0)
        )
        token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(unsampled)))
        try:
            await publish_event(redis, tenant.id, "menu", "menu.updated", b'{"n":2}')
        finally:
            otel_context.detach(token)
        # a message whose trace member is malformed (right length, bad hex): ignored
        offset = await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
        later = f"{int(offset.split('-')[0]) + 1}-0"
        bad = "00-" + "z" * 32 + "-00f067aa0ba902b7-01"
        await redis.publish(
            channel_key(tenant.id, "menu"),
            f'{{"offset":"{later}","type":"menu.updated","data":{{"n":3}},"traceparent":"{bad}"}}',
        )
        frames = [await recv(ws) for _ in range(4)]
    finally:
        await ws.close()
    assert [f["data"] for f in frames] == [{"n": 1}, {"n": 2}, {}, {"n": 3}]
    assert all(set(f) == {"op", "channel", "offset", "type", "data"} for f in frames)
    assert json.dumps(frames).count("traceparent") == 0
    assert not await _deliveries(spans, 1)
