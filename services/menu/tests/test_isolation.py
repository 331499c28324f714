"""Cross-tenant probes, from the attacker's side: nothing of one store through another's host."""

from __future__ import annotations

import uuid
from typing import Any

from redis.asyncio import Redis

from .conftest import SIMPLE_ITEM, Client, MakeStore, Store, add_category, add_item, stream_events


async def order_in(client: Client, store: Store, customer: str) -> dict[str, Any]:
    category = await add_category(client, store)
    item = await add_item(client, store, category["id"], SIMPLE_ITEM)
    response = await client.post(
        "/api/v1/store/orders",
        json={
            "items": [{"item_id": item["id"]}],
            "customer": {"name": customer},
            "fulfillment": "pickup",
        },
        headers={**store.host, "idempotency-key": str(uuid.uuid4())},
    )
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


async def test_cross_tenant_probes_are_refused(
    client: Client, make_store: MakeStore, redis: Redis, relay: object
) -> None:
    pizza, burger = await make_store(), await make_store()
    secret = await order_in(client, pizza, "Pizza Customer Secret")
    other_pizza = await order_in(client, pizza, "Second Pizza Customer")
    burger_order = await order_in(client, burger, "Burger Customer")
    # same ids in both schemas, so "not found" can only come from tenant isolation
    assert secret["id"] == burger_order["id"]

    # pizza's order id on burger's host, with pizza's order token
    probe = await client.get(
        f"/api/v1/store/orders/{secret['id']}",
        headers={**burger.host, "authorization": f"Bearer {secret['token']}"},
    )
    assert probe.status_code == 403
    assert probe.json()["code"] == "token_wrong_tenant"
    # pizza's order token on another pizza order
    probe = await client.get(
        f"/api/v1/store/orders/{other_pizza['id']}",
        headers={**pizza.host, "authorization": f"Bearer {secret['token']}"},
    )
    assert probe.status_code == 403
    # pizza's staff token on burger's admin routes, reads and writes
    for method, path, body in (
        ("GET", "/api/v1/admin/orders", None),
        ("GET", f"/api/v1/admin/orders/{secret['id']}", None),
        ("PATCH", f"/api/v1/admin/orders/{burger_order['id']}", {"status": "cancelled"}),
        ("GET", "/api/v1/admin/items", None),
        ("POST", "/api/v1/admin/categories", {"name": "Hijack"}),
        ("GET", "/api/v1/admin/users", None),
        ("GET", "/api/v1/admin/store", None),
        ("PATCH", "/api/v1/admin/store", {"name": "Hijacked"}),
        ("PATCH", "/api/v1/admin/store", {"closed_now": True}),
        ("GET", "/api/v1/admin/orders/history?q=Customer", None),
        ("GET", "/api/v1/admin/reports/summary", None),
        ("GET", "/api/v1/admin/reports/export?kind=orders", None),
        ("POST", "/api/v1/admin/categories/reorder", {"ids": []}),
        ("POST", "/api/v1/admin/items/reorder", {"category_id": 1, "ids": []}),
        ("POST", "/api/v1/admin/users/invitations", {"email": "x@y.example", "role": "staff"}),
        ("POST", "/api/v1/admin/users/1/disable", None),
        ("POST", "/api/v1/admin/users/1/password-reset", None),
        ("GET", "/api/v1/auth/me", None),
    ):
        response = await client.request(method, path, json=body, headers=burger.auth(pizza.token))
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "token_wrong_tenant"
        assert "Secret" not in response.text
    # burger is untouched
    burger_view = await client.get("/api/v1/admin/orders", headers=burger.auth())
    assert [(o["customer"]["name"], o["status"]) for o in burger_view.json()] == [
        ("Burger Customer", "received")
    ]
    assert (await client.get("/api/v1/store", headers=burger.host)).json()[
        "name"
    ] == burger.tenant.name
    # events stay on their own tenant's channels
    burger_kitchen = await stream_events(redis, burger.tenant.id, "kitchen", 1)
    assert [data["customer_name"] for _, data in burger_kitchen] == ["Burger Customer"]
    pizza_kitchen = await stream_events(redis, pizza.tenant.id, "kitchen", 2)
    assert "Burger Customer" not in str(pizza_kitchen)
    # the owner token of pizza on pizza's own host still works (the probe is the only difference)
    assert (await client.get("/api/v1/admin/orders", headers=pizza.auth())).status_code == 200


async def test_login_is_per_store(client: Client, make_store: MakeStore) -> None:
    pizza, burger = await make_store(), await make_store()
    response = await client.post(
        "/api/v1/auth/token",
        json={"email": pizza.owner_email, "password": "owner-password"},
        headers=burger.host,
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


async def test_forged_and_expired_tokens_are_refused_on_the_staff_app_routes(
    client: Client, make_store: MakeStore
) -> None:
    from stelly_core.auth import issue_token

    store = await make_store()
    forged = issue_token(
        "not-the-key-but-long-enough-0123456789abcdef",
        tenant_id=store.tenant.id,
        subject="1",
        kind="staff",
        ttl_seconds=600,
        role="owner",
    )
    expired = issue_token(
        "test-secret-key-that-is-long-enough-0123456789",
        tenant_id=store.tenant.id,
        subject="1",
        kind="staff",
        ttl_seconds=-60,
        role="owner",
    )
    for token in (forged, expired):
        for method, path in (
            ("GET", "/api/v1/admin/orders/history"),
            ("GET", "/api/v1/admin/reports/summary"),
            ("GET", "/api/v1/admin/reports/export?kind=items"),
            ("GET", "/api/v1/admin/users"),
            ("POST", "/api/v1/admin/users/1/disable"),
            ("POST", "/api/v1/admin/categories/reorder"),
            ("GET", "/api/v1/auth/me"),
        ):
            response = await client.request(method, path, json={}, headers=store.auth(token))
            assert response.status_code == 401, (method, path)
            assert response.json()["code"] == "invalid_token"
    # the owner was not disabled by any of it
    assert (await client.get("/api/v1/auth/me", headers=store.auth())).status_code == 200
