"""Server spans, request lines and HTTP metrics of a Litestar app with :class:`TelemetryPlugin`.

Real PostgreSQL and Redis (the root conftest's) for the client spans; the
spans and metrics are read from in-memory exporters.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from time import perf_counter, time
from typing import Any

import asyncpg
import pytest
from litestar import Litestar, get
from litestar.response import Stream
from litestar.testing import AsyncTestClient
from opentelemetry import metrics
from opentelemetry.trace import SpanKind
from stelly_core.db import Database
from stelly_core.errors import exception_handlers
from stelly_core.localstack import database_url, redis_url
from stelly_core.redis import connect_redis
from stelly_core.settings import Settings
from stelly_core.telemetry.middleware import ServerTelemetryMiddleware
from stelly_core.telemetry.plugin import TelemetryPlugin
from stelly_core.telemetry.requestlog import RequestLog
from stelly_core.telemetry.settings import LogFormat, TelemetrySettings
from stelly_core.telemetry.testing import CapturedTelemetry, captured_telemetry

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def build_app(settings: Settings) -> Litestar:
    """Its pool and Redis client open in its lifespan (the test client runs it on its own loop)."""
    opened: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        opened["db"] = await Database.connect(database_url(settings), settings)
        opened["redis"] = connect_redis(redis_url(settings), settings.redis_auth)
        try:
            yield
        finally:
            await opened["redis"].aclose()
            await opened["db"].close()

    @get("/api/v1/admin/orders/{order_id:int}")
    async def order(order_id: int) -> dict[str, Any]:
        value = await opened["db"].pool.fetchval("SELECT $1::int", order_id)
        await opened["redis"].get("telemetry-test")
        logging.getLogger("stelly.test").info("looked up order %s", order_id)
        return {"id": value}

    @get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    @get("/halfway")
    async def halfway() -> Stream:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first"
            raise RuntimeError("broke mid-stream")

        return Stream(chunks())

    return Litestar([order, boom, halfway], plugins=[TelemetryPlugin()], lifespan=[lifespan])


@pytest.fixture
def captured() -> Iterator[CapturedTelemetry]:
    with captured_telemetry("stelly-test") as captured:
        yield captured


@pytest.fixture
async def client(
    captured: CapturedTelemetry, settings: Settings
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(build_app(settings)) as c:
        yield c


async def test_a_span_is_named_by_the_route_template_never_the_path(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry
) -> None:
    response = await client.get("/api/v1/admin/orders/123", headers={"x-request-id": "req-abc"})
    assert response.status_code == 200, captured.log_lines()
    spans = captured.spans()
    server = next(s for s in spans if s.kind is SpanKind.SERVER)
    assert server.name == "GET /api/v1/admin/orders/{order_id}"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/api/v1/admin/orders/{order_id}"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["stelly.request_id"] == "req-abc"
    assert server.resource.attributes["service.name"] == "stelly-test"
    assert "process.pid" in server.resource.attributes
    assert "service.instance.id" in server.resource.attributes
    # the client spans are its children and carry the request id too
    children = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert {s.instrumentation_scope.name for s in children} >= {
        "opentelemetry.instrumentation.asyncpg",
        "opentelemetry.instrumentation.redis",
    }
    for child in children:
        assert child.parent is not None
        assert child.parent.span_id == server.context.span_id
        assert child.attributes is not None
        assert child.attributes["stelly.request_id"] == "req-abc"
    assert not any("123" in s.name for s in spans)

    scrape = (await client.get("/metrics")).text
    buckets = [
        line
        for line in scrape.splitlines()
        if line.startswith("http_server_request_duration_seconds_bucket")
    ]
    assert any('http_route="/api/v1/admin/orders/{order_id}"' in line for line in buckets)
    assert all("123" not in line for line in buckets)
    assert "http_server_active_requests" in scrape
    assert "req-abc" not in scrape


async def test_an_unmatched_path_gets_the_fixed_name(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry
) -> None:
    response = await client.get("/api/v1/admin/nothing/987654")
    assert response.status_code == 404
    (server,) = captured.spans()
    assert server.name == "GET"
    assert server.attributes is not None
    assert "http.route" not in server.attributes
    assert server.attributes["http.response.status_code"] == 404
    scrape = (await client.get("/metrics")).text
    assert "987654" not in scrape
    assert 'http_response_status_code="404"' in scrape


async def test_an_unknown_method_is_bounded(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry
) -> None:
    await client.request("BREW", "/api/v1/admin/orders/1")
    (server,) = captured.spans()
    assert server.name.startswith("_OTHER")
    assert "BREW" not in (await client.get("/metrics")).text


async def test_a_failure_is_an_error_span_and_a_500_line(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry
) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    (server,) = captured.spans()
    assert server.name == "GET /boom"
    assert not server.status.is_ok
    lines = captured.log_lines()
    assert any(" /boom 500 " in line for line in lines)
    # the traceback goes to the process's log format, once
    assert len([line for line in lines if "uncaught exception in GET /boom" in line]) == 1
    assert "RuntimeError: a bug" in "\n".join(lines)


async def test_a_failure_after_the_response_started_is_still_one_line(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry
) -> None:
    with contextlib.suppress(Exception):
        await client.get("/halfway")
    (server,) = captured.spans()
    assert server.name == "GET /halfway"
    assert [event.name for event in server.events] == ["exception"]
    lines = [line for line in captured.log_lines() if "INFO stelly-test GET /halfway" in line]
    assert len(lines) == 1
    assert " 200 " in lines[0]  # what the client was told before it broke
    scrape = (await client.get("/metrics")).text
    assert 'http_server_active_requests{http_request_method="GET"} 0.0' in scrape


async def test_a_client_error_is_a_line_not_a_traceback(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry
) -> None:
    assert (await client.get("/api/v1/admin/orders/not-a-number")).status_code in (400, 404)
    lines = captured.log_lines()
    assert any("INFO stelly-test GET" in line for line in lines)
    assert not [line for line in lines if "Traceback" in line or "uncaught" in line]


async def test_request_lines_are_written_without_anyone_flushing(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry
) -> None:
    await client.get("/api/v1/admin/orders/12", headers={"x-request-id": "req-timer"})
    for _ in range(100):  # the batch is written by a timer on the app's loop
        if "request_id=req-timer" in captured.log.getvalue():
            break
        await asyncio.sleep(0.05)
    assert "request_id=req-timer" in captured.log.getvalue()


async def test_probes_and_scrapes_are_neither_traced_nor_logged(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry
) -> None:
    assert (await client.get("/metrics")).status_code == 200
    assert captured.spans() == ()
    assert not [line for line in captured.log_lines() if "INFO stelly-test" in line]


@pytest.mark.parametrize(
    "header",
    [f"00-{TRACE_ID}-{PARENT_ID}-01", f"01-{TRACE_ID}-{PARENT_ID}-01-future"],
    ids=["version 00", "a later version (read as the gateway and the W3C rules read it)"],
)
async def test_a_callers_sampled_trace_is_continued(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry, header: str
) -> None:
    await client.get("/api/v1/admin/orders/5", headers={"traceparent": header})
    server = next(s for s in captured.spans() if s.kind is SpanKind.SERVER)
    assert f"{server.context.trace_id:032x}" == TRACE_ID
    assert server.parent is not None
    assert f"{server.parent.span_id:016x}" == PARENT_ID


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        f"00-{'0' * 32}-{PARENT_ID}-01",  # an all-zero trace id
        f"ff-{TRACE_ID}-{PARENT_ID}-01",  # the forbidden version
        f"00-{TRACE_ID}-{PARENT_ID}-01-extra",  # version 00 has no more fields
        f"00-{TRACE_ID.upper()}-{PARENT_ID}-01",
        b"00-\xff\xfe-01",  # not even text
    ],
)
async def test_a_malformed_traceparent_starts_a_new_trace(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry, header: str | bytes
) -> None:
    response = await client.get("/api/v1/admin/orders/5", headers={"traceparent": header})  # type: ignore[arg-type]
    assert response.status_code == 200
    (server,) = [s for s in captured.spans() if s.kind is SpanKind.SERVER]
    assert server.parent is None
    assert f"{server.context.trace_id:032x}" != TRACE_ID.lower()


async def test_a_callers_sampled_flag_is_not_trusted(settings: Settings) -> None:
    """The trace id is kept, the decision is the trace-id rule's (as the gateway's).

    Ratio 0.5: sampled when the id's lower 64 bits are below 2**63. A client
    cannot force a recording with ``-01``, nor suppress one with ``-00``.
    """
    high = "0af7651916cd43dd" + "f" * 16  # lower 64 bits above the bound
    low = "0af7651916cd43dd" + "0" * 15 + "1"  # below it
    with captured_telemetry("stelly-test", TelemetrySettings(sample_ratio=0.5)) as captured:
        async with AsyncTestClient(build_app(settings)) as client:
            for trace_id, flags in ((high, "01"), (low, "00")):
                response = await client.get(
                    "/api/v1/admin/orders/5",
                    headers={"traceparent": f"00-{trace_id}-{PARENT_ID}-{flags}"},
                )
                assert response.status_code == 200
        servers = [s for s in captured.spans() if s.kind is SpanKind.SERVER]
        assert [f"{s.context.trace_id:032x}" for s in servers] == [low]
        lines = [line for line in captured.log_lines() if "/api/v1/admin/orders/{order_id}" in line]
        assert any(high in line for line in lines)  # the unrecorded request keeps its trace id


async def test_crafted_trace_ids_cannot_flood_the_trace_store(settings: Settings) -> None:
    """A client that picks trace ids below every bound gets no more than the cap's hard limit.

    Cap 5 a second: a bucket of 10, refilled at 10 a second. Before the limit
    every one of these requests was recorded.
    """
    capped = TelemetrySettings(sample_ratio=0.1, traces_per_second=5.0)
    with captured_telemetry("stelly-test", capped) as captured:
        async with AsyncTestClient(build_app(settings)) as client:
            started = perf_counter()
            for _ in range(200):
                trace_id = f"{secrets.randbits(64):016x}{1:016x}"  # lower 64 bits: 1
                response = await client.get(
                    "/api/v1/admin/orders/5",
                    headers={"traceparent": f"00-{trace_id}-{PARENT_ID}-01"},
                )
                assert response.status_code == 200
            elapsed = perf_counter() - started
        servers = [s for s in captured.spans() if s.kind is SpanKind.SERVER]
        lines = [line for line in captured.log_lines() if "/api/v1/admin/orders/{order_id}" in line]
    assert 1 <= len(servers) <= 10 + 10 * elapsed + 1, (len(servers), elapsed)
    assert len(lines) == 200  # every request is still served and logged


async def test_the_request_line_and_the_log_lines_carry_the_request(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry
) -> None:
    await client.get("/api/v1/admin/orders/7", headers={"x-request-id": "req-text"})
    server = next(s for s in captured.spans() if s.kind is SpanKind.SERVER)
    trace_id = f"{server.context.trace_id:032x}"
    lines = captured.log_lines()
    (request_line,) = [line for line in lines if "stelly-test GET" in line]
    assert re.match(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO stelly-test "
        r"GET /api/v1/admin/orders/\{order_id\} 200 [\d.]+ms request_id=req-text tenant=- "
        rf"trace_id={trace_id} span_id=[0-9a-f]{{16}}$",
        request_line,
    ), request_line
    (app_line,) = [line for line in lines if "looked up order 7" in line]
    assert "request_id=req-text" in app_line
    assert trace_id in app_line


async def test_json_lines_are_one_object_each(settings: Settings) -> None:
    json_logs = TelemetrySettings(sample_ratio=1.0, log_format=LogFormat.JSON)
    with captured_telemetry("stelly-test", json_logs) as captured:
        async with AsyncTestClient(build_app(settings)) as client:
            await client.get("/api/v1/admin/orders/8", headers={"x-request-id": "req-json"})
        lines = captured.json_lines()
    (request_line,) = [line for line in lines if line.get("logger") == "stelly.request"]
    assert request_line["service"] == "stelly-test"
    assert request_line["method"] == "GET"
    assert request_line["route"] == "/api/v1/admin/orders/{order_id}"
    assert request_line["status"] == 200
    assert request_line["request_id"] == "req-json"
    assert request_line["tenant"] is None
    assert isinstance(request_line["duration_ms"], float)
    assert re.fullmatch(r"[0-9a-f]{32}", request_line["trace_id"])
    assert request_line["timestamp"].endswith("Z")
    (app_line,) = [line for line in lines if line["message"] == "looked up order 8"]
    assert app_line["request_id"] == "req-json"
    assert app_line["trace_id"] == request_line["trace_id"]
    assert app_line["level"] == "INFO"


async def test_an_unusable_request_id_is_replaced(
    client: AsyncTestClient[Litestar], captured: CapturedTelemetry
) -> None:
    await client.get("/api/v1/admin/orders/9", headers={"x-request-id": "evil\nline"})
    (server,) = [s for s in captured.spans() if s.kind is SpanKind.SERVER]
    assert server.attributes is not None
    assert re.fullmatch(r"[0-9a-f]{32}", str(server.attributes["stelly.request_id"]))


async def test_tracing_off_removes_spans_but_keeps_the_line(settings: Settings) -> None:
    with captured_telemetry("stelly-test", TelemetrySettings(tracing=False)) as captured:
        async with AsyncTestClient(build_app(settings)) as client:
            assert (await client.get("/api/v1/admin/orders/10")).status_code == 200
        assert captured.spans() == ()
        assert any("/api/v1/admin/orders/{order_id} 200" in line for line in captured.log_lines())


async def test_tracing_and_request_log_off_still_count_requests(settings: Settings) -> None:
    nothing = TelemetrySettings(tracing=False, request_log=False)
    with captured_telemetry("stelly-test", nothing) as captured:
        app = build_app(settings)
        assert isinstance(app.asgi_handler, ServerTelemetryMiddleware)
        async with AsyncTestClient(app) as client:
            assert (await client.get("/api/v1/admin/orders/11")).status_code == 200
            scrape = (await client.get("/metrics")).text
        assert captured.spans() == ()
        assert not [line for line in captured.log_lines() if "INFO stelly-test" in line]
        # the HTTP metrics are not switched off with tracing and the request log
        (count,) = [
            line
            for line in scrape.splitlines()
            if line.startswith("http_server_request_duration_seconds_count{")
            and 'http_route="/api/v1/admin/orders/{order_id}"' in line
        ]
        assert count.endswith(" 1.0")


async def test_instruments_made_with_the_api_show_on_metrics(
    client: AsyncTestClient[Litestar],
) -> None:
    counter = metrics.get_meter("stelly.test").create_counter(
        "stelly.test.things", unit="{thing}", description="things"
    )
    counter.add(3, {"kind": "spoon"})
    scrape = await client.get("/metrics")
    assert scrape.headers["content-type"].startswith("text/plain")
    assert re.search(r'^stelly_test_things_total\{.*kind="spoon".*\} 3\.0$', scrape.text, re.M)


def test_json_request_line_is_valid_json_alone() -> None:
    stream = io.StringIO()
    log = RequestLog("stelly-x", LogFormat.JSON, stream=stream)
    log.write(perf_counter(), "GET", None, 404, 0.0012, "rid", 'ten"ant', None, None)
    log.flush()
    line = json.loads(stream.getvalue())
    assert line["route"] is None
    assert line["tenant"] == 'ten"ant'
    assert line["trace_id"] is None
    assert line["duration_ms"] == 1.2
    # the request's end on the wall clock, from the perf_counter reading at its start
    stamp = datetime.strptime(line["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(stamp.timestamp() - time()) < 2.0


async def test_an_outage_answered_503_logs_no_traceback(captured: CapturedTelemetry) -> None:
    """A dependency outage is a 503 ``unavailable`` with one warning line, not a 500's traceback."""

    @get("/outage")
    async def outage() -> None:
        raise asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")

    app = Litestar([outage], plugins=[TelemetryPlugin()], exception_handlers=exception_handlers())
    async with AsyncTestClient(app) as client:
        response = await client.get("/outage")
    assert response.status_code == 503
    lines = captured.log_lines()
    assert any(" /outage 503 " in line for line in lines)
    assert any("dependency unavailable on GET /outage" in line for line in lines)
    assert not [line for line in lines if "uncaught exception" in line or "Traceback" in line]


async def test_an_exception_escaping_the_app_is_recorded_on_the_server_span() -> None:
    """What the exception handlers do not catch (a server bug, a client gone) is on the span."""

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        scope["path_template"] = "/broken"
        raise RuntimeError("escaped")

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/broken",
        "headers": [],
        "query_string": b"",
        "http_version": "1.1",
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        raise AssertionError("nothing is sent by an app that failed")

    with captured_telemetry("stelly-test") as captured:
        middleware = ServerTelemetryMiddleware(broken, captured.telemetry.server_config())
        with pytest.raises(RuntimeError, match="escaped"):
            await middleware(scope, receive, send)  # type: ignore[arg-type]
        (server,) = captured.spans()
        lines = captured.log_lines()
    assert server.name == "GET /broken"
    assert not server.status.is_ok
    (event,) = server.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert event.attributes["exception.type"] == "RuntimeError"
    assert event.attributes["exception.message"] == "escaped"
    assert "raise RuntimeError" in str(event.attributes["exception.stacktrace"])
    assert any(" /broken 500 " in line for line in lines)
