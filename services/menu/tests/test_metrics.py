"""The menu's metric instruments, read through an in-memory reader, over the real app, database and Redis."""

from __future__ import annotations

import uuid
from typing import Any

from .conftest import SIMPLE_ITEM, Client, MakeStore, add_category, add_item


async def test_placing_an_order_counts_it_once(
    client: Client, make_store: MakeStore, metric_readings: Any
) -> None:
    store = await make_store()
    category = await add_category(client, store)
    fries = await add_item(client, store, category["id"], SIMPLE_ITEM)
    body = {
        "items": [{"item_id": fries["id"], "quantity": 1}],
        "customer": {"name": "Ann"},
        "fulfillment": "pickup",
    }
    headers = {**store.host, "idempotency-key": str(uuid.uuid4())}
    assert metric_readings.value("stelly.orders.created") is None
    first = await client.post("/api/v1/store/orders", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert (
        metric_readings.value("stelly.orders.created", {"stelly.order.fulfillment": "pickup"}) == 1
    )
    replay = await client.post("/api/v1/store/orders", json=body, headers=headers)
    assert replay.status_code == 201 and replay.json()["id"] == first.json()["id"]
    assert metric_readings.value("stelly.orders.created") == 1  # a replay is not a new order
    refused = await client.post(
        "/api/v1/store/orders",
        json={**body, "items": [{"item_id": 999_999, "quantity": 1}]},
        headers={**store.host, "idempotency-key": str(uuid.uuid4())},
    )
    assert refused.status_code == 422
    assert metric_readings.value("stelly.orders.created") == 1


async def test_a_wrong_password_counts_a_login_failure_and_throttling_a_refusal(
    client: Client, make_store: MakeStore, metric_readings: Any
) -> None:
    store = await make_store()

    async def attempt(password: str) -> int:
        response = await client.post(
            "/api/v1/auth/token",
            json={"email": store.owner_email, "password": password},
            headers=store.host,
        )
        return response.status_code

    assert await attempt("wrong") == 401
    assert metric_readings.value("stelly.auth.login.failures", {"stelly.login.realm": "staff"}) == 1
    assert metric_readings.value("stelly.ratelimit.refusals") is None
    statuses = [await attempt("wrong") for _ in range(9)]
    # the fixture's login and the first attempt used 2 of the account's 10
    assert statuses == [401] * 8 + [429]
    assert metric_readings.value("stelly.auth.login.failures") == 9
    assert (
        metric_readings.value(
            "stelly.ratelimit.refusals", {"stelly.ratelimit.rule": "login-account"}
        )
        == 1
    )
    # no tenant, e-mail or address among any point's attributes
    data = metric_readings.reader.get_metrics_data()
    for scope in data.resource_metrics[0].scope_metrics:
        for metric in scope.metrics:
            for point in metric.data.data_points:
                values = {str(v) for v in (point.attributes or {}).values()}
                assert store.tenant.slug not in values and store.owner_email not in values
