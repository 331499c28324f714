"""The tenancy plugin's telemetry: the tenant on spans and request lines, ``/metrics`` on any host.

Real PostgreSQL and Redis through the tenancy stack; spans, metrics and
log lines are read from the in-memory telemetry of
:mod:`stelly_core.telemetry.testing`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar, get, websocket
from litestar.connection import WebSocket
from litestar.di import NamedDependency
from litestar.testing import AsyncTestClient
from opentelemetry.trace import SpanKind
from stelly_core.db import Database
from stelly_core.settings import Settings
from stelly_core.telemetry.settings import LogFormat, TelemetrySettings
from stelly_core.telemetry.testing import CapturedTelemetry, captured_telemetry
from stelly_tenancy.models import Tenant
from stelly_tenancy.plugin import TenancyPlugin

from .conftest import MakeTenant


def build_app(settings: Settings) -> Litestar:
    @get("/api/v1/admin/staff/{user_id:int}")
    async def staff(
        user_id: int, tenant: NamedDependency[Tenant], db: NamedDependency[Database]
    ) -> dict[str, Any]:
        async with db.tenant(tenant.schema) as conn:
            count = await conn.fetchval("SELECT count(*) FROM staff_users WHERE id = $1", user_id)
        return {"count": count}

    @websocket("/ws/v1")
    async def ws(socket: WebSocket[Any, Any, Any], tenant: NamedDependency[Tenant]) -> None:
        await socket.accept()
        await socket.send_json({"tenant": tenant.slug})
        await socket.close()

    return Litestar([staff, ws], plugins=[TenancyPlugin(settings)])


@pytest.fixture
def captured() -> Iterator[CapturedTelemetry]:
    with captured_telemetry(
        "stelly-test", TelemetrySettings(sample_ratio=1.0, log_format=LogFormat.JSON)
    ) as captured:
        yield captured


async def test_the_tenant_and_request_id_are_on_every_span_and_the_line(
    settings: Settings, make_tenant: MakeTenant, captured: CapturedTelemetry
) -> None:
    tenant = await make_tenant()
    async with AsyncTestClient(build_app(settings)) as client:
        response = await client.get(
            "/api/v1/admin/staff/4242",
            headers={"host": f"{tenant.slug}.localhost", "x-request-id": "req-tenant"},
        )
        assert response.status_code == 200, response.text
        scrape = (await client.get("/metrics", headers={"host": "nobody.example"})).text
    spans = captured.spans()
    server = next(s for s in spans if s.kind is SpanKind.SERVER)
    assert server.name == "GET /api/v1/admin/staff/{user_id}"
    # the request's queries (not the test's own, which provisioned the tenant)
    queries = [
        s
        for s in spans
        if s.instrumentation_scope.name.endswith("asyncpg")
        and s.context.trace_id == server.context.trace_id
    ]
    for span in (server, *queries):
        assert span.attributes is not None
        assert span.attributes["stelly.request_id"] == "req-tenant"
    # the handler's queries run once the tenant is known (the host's lookup, before it, does not)
    handler = [
        s for s in queries if "staff_users" in str((s.attributes or {}).get("db.statement", ""))
    ]
    assert handler, [(s.name, s.attributes) for s in queries]
    for span in (server, *handler):
        assert span.attributes is not None
        assert span.attributes["tenant.slug"] == tenant.slug
    (line,) = [x for x in captured.json_lines() if x.get("logger") == "stelly.request"]
    assert line["tenant"] == tenant.slug
    assert line["request_id"] == "req-tenant"
    assert line["route"] == "/api/v1/admin/staff/{user_id}"
    assert line["trace_id"] == f"{server.context.trace_id:032x}"
    # never a metric label: not the tenant, not the id in the path, not the request id
    assert 'http_route="/api/v1/admin/staff/{user_id}"' in scrape
    for secret in (tenant.slug, "4242", "req-tenant"):
        assert secret not in scrape


async def test_metrics_answer_on_any_host_without_a_tenant(
    settings: Settings, captured: CapturedTelemetry
) -> None:
    async with AsyncTestClient(build_app(settings)) as client:
        for host in ("nobody.example", "127.0.0.1:8001", "localhost"):
            response = await client.get("/metrics", headers={"host": host})
            assert response.status_code == 200, host
            assert response.headers["content-type"].startswith("text/plain")
            assert "# TYPE" in response.text
        refused = await client.get("/api/v1/admin/staff/1", headers={"host": "nobody.example"})
        assert refused.status_code == 404
    (line,) = [x for x in captured.json_lines() if x.get("logger") == "stelly.request"]
    assert line["status"] == 404
    assert line["tenant"] is None
    assert line["route"] == "/api/v1/admin/staff/{user_id}"


async def test_a_websocket_handshake_is_a_span_named_by_its_route(
    settings: Settings, make_tenant: MakeTenant, captured: CapturedTelemetry
) -> None:
    tenant = await make_tenant()
    async with AsyncTestClient(build_app(settings)) as client:
        with await client.websocket_connect(
            "/ws/v1", headers={"host": f"{tenant.slug}.localhost"}
        ) as socket:
            assert socket.receive_json() == {"tenant": tenant.slug}
    (server,) = [s for s in captured.spans() if s.kind is SpanKind.SERVER]
    assert server.name == "GET /ws/v1"
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 101
    assert server.attributes["tenant.slug"] == tenant.slug
    (line,) = [x for x in captured.json_lines() if x.get("logger") == "stelly.request"]
    assert line["route"] == "/ws/v1"
    assert line["status"] == 101
