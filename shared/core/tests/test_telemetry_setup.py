"""``configure_telemetry``: sampling, what an unsampled request costs, reconfiguration, the span file.

Real PostgreSQL and Redis for the client spans (the root conftest's).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from opentelemetry import metrics, propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind
from redis.asyncio import Redis
from stelly_core.settings import SettingsError
from stelly_core.telemetry.plugin import TelemetryPlugin
from stelly_core.telemetry.settings import TelemetrySettings
from stelly_core.telemetry.setup import configure_telemetry, current_telemetry, shutdown_telemetry
from stelly_core.telemetry.switching import SwitchingTracerProvider
from stelly_core.telemetry.testing import captured_telemetry

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def build_app(redis_url: str) -> Litestar:
    @get("/api/v1/store/menu")
    async def menu() -> dict[str, Any]:
        redis = Redis.from_url(redis_url)
        try:
            await redis.get("telemetry-setup-test")
        finally:
            await redis.aclose()
        # a span some library code opens itself, inside the request
        with trace.get_tracer("stelly.test").start_as_current_span("work") as span:
            span.set_attribute("step", 1)
        return {"ok": True}

    return Litestar([menu], plugins=[TelemetryPlugin()])


@pytest.fixture
async def unsampled(redis_url: str) -> AsyncIterator[Any]:
    with captured_telemetry("stelly-test", TelemetrySettings(sample_ratio=0.0)) as captured:
        async with AsyncTestClient(build_app(redis_url)) as client:
            yield captured, client


async def test_an_unsampled_request_records_no_span_not_even_its_children(unsampled: Any) -> None:
    captured, client = unsampled
    response = await client.get("/api/v1/store/menu", headers={"x-request-id": "req-unsampled"})
    assert response.status_code == 200
    assert captured.spans() == ()
    (line,) = [x for x in captured.log_lines() if "INFO stelly-test GET" in x]
    # the line still names the trace (for logs of other hops), but no span of it
    assert re.search(r"request_id=req-unsampled tenant=- trace_id=[0-9a-f]{32} span_id=-$", line)


async def test_a_callers_decision_not_to_sample_is_followed(unsampled: Any) -> None:
    captured, client = unsampled
    await client.get("/api/v1/store/menu", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-00"})
    assert captured.spans() == ()
    (line,) = [x for x in captured.log_lines() if "INFO stelly-test GET" in x]
    assert f"trace_id={TRACE_ID} span_id=-" in line


def build_propagating_app() -> Litestar:
    @get("/api/v1/outbox")
    async def outbox() -> dict[str, Any]:
        # what the outbox and the queues store: the current trace's traceparent
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        logging.getLogger("stelly.test").warning("stored %s", carrier.get("traceparent"))
        return carrier

    return Litestar([outbox], plugins=[TelemetryPlugin()])


@pytest.mark.parametrize("caller", [False, True], ids=["root", "caller's trace"])
async def test_an_unsampled_request_still_propagates_its_trace(caller: bool) -> None:
    """The shared unsampled span answers with each request's own trace, flag off."""
    with captured_telemetry("stelly-test", TelemetrySettings(sample_ratio=0.0)) as captured:
        async with AsyncTestClient(build_propagating_app()) as client:
            headers = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"} if caller else {}
            first = (await client.get("/api/v1/outbox", headers=headers)).json()["traceparent"]
            second = (await client.get("/api/v1/outbox")).json()["traceparent"]
        assert captured.spans() == ()
        lines = [x for x in captured.log_lines() if "INFO stelly-test GET" in x]
        warnings = [x for x in captured.log_lines() if "stored 00-" in x]
    version, trace_id, span_id, flags = first.split("-")
    assert (version, flags) == ("00", "00")
    if caller:  # the caller's trace and span, its sampled flag not followed
        assert (trace_id, span_id) == (TRACE_ID, PARENT_ID)
    else:
        assert re.fullmatch(r"[0-9a-f]{16}", span_id) and int(span_id, 16)
    # the request line and the app's own log line name the same trace
    assert f"trace_id={trace_id} " in lines[0]
    assert trace_id in warnings[0] and first in warnings[0]
    # every request its own trace
    assert second.split("-")[1] != trace_id
    assert f"trace_id={second.split('-')[1]} " in lines[1]


async def test_a_sampled_request_records_its_library_spans_as_children(redis_url: str) -> None:
    with captured_telemetry("stelly-test") as captured:
        async with AsyncTestClient(build_app(redis_url)) as client:
            await client.get("/api/v1/store/menu", headers={"x-request-id": "req-lib"})
        spans = captured.spans()
    server = next(s for s in spans if s.kind is SpanKind.SERVER)
    (work,) = [s for s in spans if s.name == "work"]
    assert work.parent is not None and work.parent.span_id == server.context.span_id
    assert work.attributes is not None and work.attributes["stelly.request_id"] == "req-lib"
    (get_span,) = [s for s in spans if s.name == "GET" and s.kind is SpanKind.CLIENT]
    assert get_span.parent is not None and get_span.parent.span_id == server.context.span_id


def test_the_same_configuration_twice_is_one_configuration() -> None:
    settings = TelemetrySettings(sample_ratio=0.5)
    try:
        first = configure_telemetry("stelly-test", settings=settings)
        assert configure_telemetry("stelly-test", settings=settings) is first
        assert current_telemetry() is first
        other = configure_telemetry("stelly-other", settings=settings)
        assert other is not first
        assert isinstance(trace.get_tracer_provider(), SwitchingTracerProvider)
        assert metrics.get_meter_provider() is other.meter_provider
        assert other.resource.attributes["service.name"] == "stelly-other"
    finally:
        shutdown_telemetry()
    assert current_telemetry() is None


def test_tracing_off_sets_no_tracer_provider() -> None:
    try:
        telemetry = configure_telemetry("stelly-test", settings=TelemetrySettings(tracing=False))
        assert telemetry.tracer_provider is None
        span = trace.get_tracer("stelly.test").start_span("nothing")
        assert not span.is_recording()
    finally:
        shutdown_telemetry()


def test_a_bad_variable_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STELLY_TRACE_SAMPLE_RATIO", "2")
    with pytest.raises(SettingsError, match="STELLY_TRACE_SAMPLE_RATIO"):
        configure_telemetry("stelly-test")


def test_spans_go_to_the_span_file_when_a_trace_dir_is_set(tmp_path: Path) -> None:
    settings = TelemetrySettings(sample_ratio=1.0, trace_dir=tmp_path)
    try:
        telemetry = configure_telemetry("stelly-test", settings=settings)
        assert isinstance(telemetry.tracer_provider, TracerProvider)
        with trace.get_tracer("stelly.test").start_as_current_span("to-the-file"):
            pass
        telemetry.flush()
    finally:
        shutdown_telemetry()
    lines = [
        json.loads(line)
        for path in tmp_path.glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert [line["name"] for line in lines] == ["to-the-file"]


def test_sdk_and_libvips_chatter_stays_below_the_console() -> None:
    """Azure's HTTP lines and libvips's progress notes are held at WARNING (a quiet make run)."""
    root = logging.getLogger()
    level = root.level
    with captured_telemetry("stelly-test"):
        root.setLevel(logging.DEBUG)  # whatever a developer turns on
        try:
            for name in ("azure.core.pipeline.policies.http_logging_policy", "pyvips"):
                logger = logging.getLogger(name)
                assert not logger.isEnabledFor(logging.INFO), name
                assert logger.isEnabledFor(logging.WARNING), name
        finally:
            root.setLevel(level)
