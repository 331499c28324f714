"""The edge's spans and the trace context it sends upstream.

The gateway runs in this process (uvicorn on a free port) so that its spans
reach the test's in-memory exporter; the upstream is the echo app of these
tests, its own process, which answers with the headers it received.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from stelly_core.localstack import free_port
from stelly_core.telemetry.testing import captured_telemetry
from stelly_gateway.app import create_app
from stelly_gateway.routing import load_routing_table
from stelly_gateway.settings import GatewaySettings

from .conftest import Processes

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
CLIENT_PARENT = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span of the test; the tracer's own sampler records every new trace."""
    with captured_telemetry("stelly-gateway") as captured:
        yield captured.exporter


@contextlib.asynccontextmanager
async def running_gateway(upstream: str, *, ratio: float) -> AsyncIterator[int]:
    """The gateway in this loop, every origin on ``upstream``; yields its port."""
    settings = GatewaySettings(
        port=free_port(),
        upstreams={o: (upstream,) for o in ("menu", "realtime", "media")},
        connect_timeout=2.0,
        trace_sample_ratio=ratio,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, load_routing_table()),
            host="127.0.0.1",
            port=settings.port,
            ws="websockets-sansio",
            lifespan="on",
            log_level="warning",
        )
    )
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.get_running_loop().create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "the gateway did not start"
        yield settings.port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


@pytest.fixture
def echo(processes: Processes) -> str:
    return processes.upstream("menu").url


async def _get(port: int, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        response = await client.get(path, headers={"host": "pizza.localhost"} | (headers or {}))
    assert response.status_code == 200, response.text
    seen: dict[str, Any] = response.json()["headers"]
    return seen


def _server_spans(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]


def _via_edge(spans: InMemorySpanExporter, edge: ReadableSpan, span_id: str) -> bool:
    """Whether the upstream's parent ``span_id`` is the edge span or its client span.

    (The process's aiohttp instrumentation, when on, sends the context of its
    CLIENT span, a child of the edge's.)
    """
    if span_id == f"{edge.context.span_id:016x}":
        return True
    for span in spans.get_finished_spans():
        if f"{span.context.span_id:016x}" == span_id:
            return (
                span.kind is SpanKind.CLIENT
                and span.parent is not None
                and span.parent.span_id == edge.context.span_id
            )
    return False


def _parts(traceparent: str) -> tuple[str, str, bool]:
    version, trace_id, span_id, flags = traceparent.split("-")
    assert version == "00"
    return trace_id, span_id, bool(int(flags, 16) & 1)


async def test_a_request_is_one_span_named_by_its_route_and_its_context_goes_upstream(
    spans: InMemorySpanExporter, echo: str
) -> None:
    async with running_gateway(echo, ratio=1.0) as port:
        await asyncio.sleep(0.6)  # a round of health checks
        seen = await _get(port, "/api/v1/store/menu?x=1")
        media = await _get(port, "/api/v1/media/images/123")
    first, second = _server_spans(spans)
    assert first.name == "GET /api/*"
    assert second.name == "GET /api/v1/media/*"
    assert first.parent is None  # a new trace: the edge is where it starts
    attributes = first.attributes or {}
    assert attributes["http.route"] == "/api/*"
    assert attributes["http.response.status_code"] == 200
    assert attributes["stelly.request_id"] == seen["x-request-id"]
    trace_id, span_id, sampled = _parts(seen["traceparent"])
    assert (trace_id, sampled) == (f"{first.context.trace_id:032x}", True)
    assert _via_edge(spans, first, span_id)
    assert _parts(media["traceparent"])[0] != trace_id
    # the replica health checks that ran meanwhile made no (root) spans
    assert not [
        s for s in spans.get_finished_spans() if s.parent is None and s.kind is not SpanKind.SERVER
    ]


async def test_a_client_trace_is_joined_but_its_sampling_is_the_edges_decision(
    spans: InMemorySpanExporter, echo: str
) -> None:
    """sampled=01 from a client at ratio 0: not sampled, yet the trace id carries on."""
    async with running_gateway(echo, ratio=0.0) as port:
        seen = await _get(
            port,
            "/api/v1/store/menu",
            {"traceparent": CLIENT_PARENT, "tracestate": "vendor=forced-sampling"},
        )
    trace_id, span_id, sampled = _parts(seen["traceparent"])
    assert trace_id == CLIENT_TRACE
    assert span_id != CLIENT_SPAN
    assert not sampled
    assert "tracestate" not in seen
    assert not _server_spans(spans)


async def test_a_client_trace_sampled_by_the_edge_has_the_clients_span_as_parent(
    spans: InMemorySpanExporter, echo: str
) -> None:
    async with running_gateway(echo, ratio=1.0) as port:
        seen = await _get(
            port,
            "/api/v1/store/menu",
            # the client says "not sampled": the edge decides anyway
            {"traceparent": CLIENT_PARENT[:-2] + "00", "tracestate": "vendor=x"},
        )
    [span] = _server_spans(spans)
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == CLIENT_SPAN
    assert f"{span.context.trace_id:032x}" == CLIENT_TRACE
    trace_id, span_id, sampled = _parts(seen["traceparent"])
    assert (trace_id, sampled) == (CLIENT_TRACE, True)
    assert _via_edge(spans, span, span_id)
    assert "tracestate" not in seen


@pytest.mark.parametrize(
    "malformed",
    [
        "garbage",
        f"00-{'0' * 32}-{CLIENT_SPAN}-01",
        f"00-{CLIENT_TRACE}-{CLIENT_SPAN}",
        f"ff-{CLIENT_TRACE}-{CLIENT_SPAN}-01",
        f"00-{CLIENT_TRACE.upper()}-{CLIENT_SPAN}-01",
    ],
)
async def test_a_malformed_client_traceparent_is_replaced(
    spans: InMemorySpanExporter, echo: str, malformed: str
) -> None:
    async with running_gateway(echo, ratio=1.0) as port:
        seen = await _get(port, "/api/v1/store/menu", {"traceparent": malformed})
    [span] = _server_spans(spans)
    assert span.parent is None
    assert seen["traceparent"] != malformed
    trace_id, span_id, _ = _parts(seen["traceparent"])
    assert trace_id == f"{span.context.trace_id:032x}" != CLIENT_TRACE
    assert _via_edge(spans, span, span_id)


async def test_the_websocket_handshake_carries_the_edges_context(
    spans: InMemorySpanExporter, echo: str
) -> None:
    async with (
        running_gateway(echo, ratio=1.0) as port,
        websockets.connect(
            f"ws://pizza.localhost:{port}/ws/v1",
            host="127.0.0.1",
            port=port,
            additional_headers={"traceparent": CLIENT_PARENT, "tracestate": "vendor=x"},
        ) as ws,
    ):
        hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
    for _ in range(100):  # the span ends when the gateway has closed its side
        if _server_spans(spans):
            break
        await asyncio.sleep(0.02)
    [span] = _server_spans(spans)
    assert span.name == "GET /ws/*"
    assert (span.attributes or {})["http.route"] == "/ws/*"
    assert _parts(hello["headers"]["traceparent"]) == (
        CLIENT_TRACE,
        f"{span.context.span_id:016x}",
        True,
    )
    assert "tracestate" not in hello["headers"]
