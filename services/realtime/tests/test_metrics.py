"""The realtime metric instruments, over a real uvicorn server, real Valkey and real WebSocket clients."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from redis.asyncio import Redis
from stelly_core.events import publish_event
from stelly_core.settings import Settings

from .conftest import MakeTenant, Server, order_token, recv, send, staff_token, subscribe

KITCHEN = {"messaging.destination.template": "kitchen"}
ORDERS = {"messaging.destination.template": "order:{id}"}


async def _eventually(check: Any, wanted: Any) -> None:
    deadline = time.monotonic() + 10
    while (value := check()) != wanted:
        assert time.monotonic() < deadline, f"still {value!r}, wanted {wanted!r}"
        await asyncio.sleep(0.02)


async def test_sockets_subscriptions_and_fan_out_move_the_gauges_and_counters(
    realtime: Server,
    make_tenant: MakeTenant,
    settings: Settings,
    redis: Redis,
    metric_readings: Any,
) -> None:
    tenant = await make_tenant()
    value = metric_readings.value
    first = await realtime.connect(tenant)
    second = await realtime.connect(tenant)
    await _eventually(lambda: value("stelly.realtime.connections"), 2)
    try:
        token = staff_token(settings, tenant)
        for ws in (first, second):
            assert (await subscribe(ws, "kitchen", token=token))["op"] == "subscribed"
        order = await subscribe(first, "order:42", token=order_token(settings, tenant, 42))
        assert order["op"] == "subscribed"
        assert value("stelly.realtime.subscriptions", KITCHEN) == 2
        assert value("stelly.realtime.subscriptions", ORDERS) == 1

        await publish_event(redis, tenant.id, "kitchen", "order.created", b'{"id":1}')
        assert (await recv(first))["channel"] == "kitchen"
        assert (await recv(second))["channel"] == "kitchen"
        consumed = {"messaging.system": "redis", **KITCHEN}
        assert value("messaging.client.consumed.messages", consumed) == 1
        assert value("stelly.realtime.deliveries", consumed) == 2  # one event, two sockets

        await send(first, op="unsubscribe", channel="order:42")
        assert (await recv(first))["op"] == "unsubscribed"
        assert value("stelly.realtime.subscriptions", ORDERS) == 0
    finally:
        await first.close()
    # a socket that ends takes its subscriptions with it
    await _eventually(lambda: value("stelly.realtime.subscriptions", KITCHEN), 1)
    await _eventually(lambda: value("stelly.realtime.connections"), 1)
    await second.close()
    await _eventually(lambda: value("stelly.realtime.connections"), 0)
    assert value("stelly.realtime.subscriptions") == 0
    # bounded attributes only: no tenant, no order id
    data = metric_readings.reader.get_metrics_data()
    for scope in data.resource_metrics[0].scope_metrics:
        for metric in scope.metrics:
            for point in metric.data.data_points:
                values = " ".join(str(v) for v in (point.attributes or {}).values())
                assert "42" not in values and tenant.slug not in values
