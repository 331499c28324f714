"""The menu service's telemetry: spans and metrics named by route template, the tenant on spans.

The real app with real PostgreSQL and Valkey; spans, metrics and lines
come from :mod:`stelly_core.telemetry.testing`.
"""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from opentelemetry.trace import SpanKind
from stelly_core.settings import Settings
from stelly_core.telemetry.testing import captured_telemetry
from stelly_menu.app import create_app
from stelly_menu.server import main

from .conftest import MakeStore


async def test_an_order_id_never_names_a_span_or_labels_a_metric(
    settings: Settings, make_store: MakeStore
) -> None:
    store = await make_store()
    with captured_telemetry("stelly-menu") as captured:
        async with AsyncTestClient(create_app(settings, relay=False)) as client:
            response = await client.get(
                "/api/v1/admin/orders/918273",
                headers={**store.auth(), "x-request-id": "req-order"},
            )
            assert response.status_code == 404  # no such order: the route still matched
            scrape = (await client.get("/metrics", headers={"host": "anything.example"})).text
        spans = captured.spans()
        lines = captured.log_lines()
    server = next(s for s in spans if s.kind is SpanKind.SERVER)
    assert server.name == "GET /api/v1/admin/orders/{order_id}"
    assert server.attributes is not None
    assert server.attributes["tenant.slug"] == store.tenant.slug
    assert server.attributes["stelly.request_id"] == "req-order"
    assert all("918273" not in s.name for s in spans)
    assert 'http_route="/api/v1/admin/orders/{order_id}"' in scrape
    assert "918273" not in scrape
    assert store.tenant.slug not in scrape
    (line,) = [x for x in lines if "INFO stelly-menu GET" in x]
    assert "/api/v1/admin/orders/{order_id} 404" in line
    assert f"tenant={store.tenant.slug}" in line


async def test_the_cached_menu_read_is_one_span_with_its_redis_call(
    settings: Settings, make_store: MakeStore
) -> None:
    store = await make_store()
    with captured_telemetry("stelly-menu") as captured:
        async with AsyncTestClient(create_app(settings, relay=False)) as client:
            for _ in range(2):  # the second read is served from the cache
                response = await client.get("/api/v1/store/menu", headers=store.host)
                assert response.status_code == 200
        spans = captured.spans()
    servers = [s for s in spans if s.kind is SpanKind.SERVER]
    assert [s.name for s in servers] == ["GET /api/v1/store/menu"] * 2
    cached = servers[-1]
    children = [
        s for s in spans if s.parent is not None and s.parent.span_id == cached.context.span_id
    ]
    redis_calls = [s for s in children if s.instrumentation_scope.name.endswith("redis")]
    assert redis_calls, [(s.name, s.instrumentation_scope.name) for s in children]
    # the cache read comes after the tenant is resolved (its own lookup, if any, before)
    for child in redis_calls:
        assert child.attributes is not None
        assert child.attributes["tenant.slug"] == store.tenant.slug
        assert child.attributes["stelly.request_id"] == cached.attributes["stelly.request_id"]


def test_a_bad_telemetry_variable_stops_the_service_with_its_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STELLY_TRACING", "sometimes")
    assert main([]) == 2
    assert "STELLY_TRACING" in capsys.readouterr().err
