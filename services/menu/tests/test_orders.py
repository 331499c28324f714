"""Placing and advancing orders through the real middleware, database and Redis."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from .conftest import (
    PIZZA_ITEM,
    SIMPLE_ITEM,
    Client,
    MakeStore,
    Store,
    add_category,
    add_item,
    add_staff,
    stream_events,
)


class Menu:
    """A store with a pizza (size 1..1, extras 0..2), fries and an unavailable dish."""

    def __init__(
        self, store: Store, pizza: dict[str, Any], fries: dict[str, Any], gone: dict[str, Any]
    ):
        self.store = store
        self.pizza = pizza
        self.fries = fries
        self.gone = gone

    def option(self, group: int, index: int) -> int:
        option_id: int = self.pizza["modifier_groups"][group]["options"][index]["id"]
        return option_id

    def order(self, **overrides: Any) -> dict[str, Any]:
        return {
            "items": [
                {
                    "item_id": self.pizza["id"],
                    "quantity": 2,
                    "modifiers": [self.option(0, 1), self.option(1, 0)],
                },
                {"item_id": self.fries["id"], "quantity": 1, "note": "extra crispy"},
            ],
            "customer": {"name": "Ann", "phone": "+39 06 1234"},
            "fulfillment": "pickup",
            **overrides,
        }


@pytest.fixture
async def menu(client: Client, make_store: MakeStore) -> Menu:
    store = await make_store()
    category = await add_category(client, store)
    pizza = await add_item(client, store, category["id"], PIZZA_ITEM)
    fries = await add_item(client, store, category["id"], SIMPLE_ITEM)
    gone = await add_item(
        client, store, category["id"], {**SIMPLE_ITEM, "name": "Gone", "available": False}
    )
    return Menu(store, pizza, fries, gone)


async def place(client: Client, store: Store, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {**store.host, "idempotency-key": key or str(uuid.uuid4())}
    return await client.post("/api/v1/store/orders", json=body, headers=headers)


async def test_prices_are_computed_on_the_server(client: Client, menu: Menu) -> None:
    response = await place(client, menu.store, menu.order())
    assert response.status_code == 201, response.text
    order = response.json()
    assert set(order) >= {
        "id",
        "number",
        "status",
        "total",
        "currency",
        "items",
        "created_at",
        "token",
    }
    assert order["status"] == "received"
    assert order["currency"] == "EUR"
    pizza_line, fries_line = order["items"]
    assert pizza_line["unit_price"] == 900 + 300 + 100
    assert pizza_line["total"] == 2 * 1300
    assert [m["name"] for m in pizza_line["modifiers"]] == ["Large", "Olives"]
    assert fries_line == {
        "item_id": menu.fries["id"],
        "name": "Fries",
        "quantity": 1,
        "unit_price": 400,
        "modifiers": [],
        "note": "extra crispy",
        "total": 400,
    }
    assert order["total"] == 2600 + 400
    # what the 201 said is what was stored
    stored = await client.get(
        f"/api/v1/store/orders/{order['id']}",
        headers={**menu.store.host, "authorization": f"Bearer {order['token']}"},
    )
    assert stored.json() == {k: v for k, v in order.items() if k != "token"}
    # a price sent by the client is not a field of the request
    cheat = menu.order(items=[{"item_id": menu.fries["id"], "quantity": 1, "price": 1}])
    refused = await place(client, menu.store, cheat)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "items[0].price"


async def test_order_snapshot_survives_menu_changes(client: Client, menu: Menu) -> None:
    order = (await place(client, menu.store, menu.order())).json()
    await client.patch(
        f"/api/v1/admin/items/{menu.fries['id']}",
        json={"name": "Chips", "price": 999},
        headers=menu.store.auth(),
    )
    fetched = await client.get(
        f"/api/v1/store/orders/{order['id']}",
        headers={**menu.store.host, "authorization": f"Bearer {order['token']}"},
    )
    assert fetched.status_code == 200
    assert fetched.json()["items"][1]["name"] == "Fries"
    assert fetched.json()["total"] == order["total"]
    assert fetched.json()["status"] == "received"
    assert "token" not in fetched.json()


async def test_numbers_count_up_per_store(
    client: Client, menu: Menu, make_store: MakeStore
) -> None:
    numbers = [(await place(client, menu.store, menu.order())).json()["number"] for _ in range(3)]
    assert numbers == [1, 2, 3]


@pytest.mark.parametrize(
    ("items", "code", "field"),
    [
        (lambda m: [{"item_id": 999999, "quantity": 1}], "unknown_item", "items[0].item_id"),
        (
            lambda m: [{"item_id": m.gone["id"], "quantity": 1}],
            "item_unavailable",
            "items[0].item_id",
        ),
        (
            lambda m: [{"item_id": m.pizza["id"], "quantity": 1, "modifiers": []}],
            "modifier_choice_out_of_range",
            "items[0].modifiers",
        ),
        (
            lambda m: [
                {
                    "item_id": m.pizza["id"],
                    "quantity": 1,
                    "modifiers": [m.option(0, 0), m.option(0, 1)],
                }
            ],
            "modifier_choice_out_of_range",
            "items[0].modifiers",
        ),
        (
            lambda m: [
                {
                    "item_id": m.pizza["id"],
                    "quantity": 1,
                    "modifiers": [m.option(0, 0), m.option(1, 0), m.option(1, 1), m.option(1, 2)],
                }
            ],
            "modifier_choice_out_of_range",
            "items[0].modifiers",
        ),
        (
            lambda m: [{"item_id": m.fries["id"], "quantity": 1, "modifiers": [m.option(0, 0)]}],
            "invalid_modifier",
            "items[0].modifiers",
        ),
    ],
)
async def test_orders_the_menu_cannot_honour(
    client: Client, menu: Menu, items: Any, code: str, field: str
) -> None:
    response = await place(client, menu.store, menu.order(items=items(menu)))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["field"] == field
    # nothing was written: the next order still gets number 1
    assert (await place(client, menu.store, menu.order())).json()["number"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"items": []}, "items"),
        ({"items": [{"item_id": 1, "quantity": 0}]}, "items[0].quantity"),
        ({"items": [{"item_id": 1, "quantity": 100}]}, "items[0].quantity"),
        ({"items": [{"item_id": 2**63, "quantity": 1}]}, "items[0].item_id"),
        ({"items": [{"item_id": "1; DROP TABLE orders", "quantity": 1}]}, "items[0].item_id"),
        ({"fulfillment": "delivery"}, "fulfillment"),
        ({"customer": {}}, "customer.name"),
        ({"customer": {"name": "A\u0000"}}, "customer.name"),
        ({"customer": {"name": "A", "phone": "call me"}}, "customer.phone"),
        ({"note": "x" * 501}, "note"),
    ],
)
async def test_bad_order_input_is_400_naming_the_field(
    client: Client, shared_store: Store, change: dict[str, Any], field: str
) -> None:
    body = {
        "items": [{"item_id": 1, "quantity": 1}],
        "customer": {"name": "A"},
        "fulfillment": "pickup",
        **change,
    }
    response = await place(client, shared_store, body)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_dine_in_needs_a_table(client: Client, menu: Menu) -> None:
    response = await place(client, menu.store, menu.order(fulfillment="dine_in"))
    assert response.status_code == 422
    assert response.json()["code"] == "table_required"
    ok = await place(client, menu.store, menu.order(fulfillment="dine_in", table="12"))
    assert ok.status_code == 201
    assert ok.json()["table"] == "12"


async def test_closed_store_refuses_orders(client: Client, menu: Menu) -> None:
    await client.patch("/api/v1/admin/store", json={"opening_hours": {}}, headers=menu.store.auth())
    response = await place(client, menu.store, menu.order())
    assert response.status_code == 422
    assert response.json()["code"] == "store_closed"


async def test_idempotency_key_semantics(client: Client, menu: Menu) -> None:
    missing = await client.post("/api/v1/store/orders", json=menu.order(), headers=menu.store.host)
    assert missing.status_code == 400
    assert missing.json()["code"] == "idempotency_key_required"
    bad = await place(client, menu.store, menu.order(), key="has spaces")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_idempotency_key"

    first = await place(client, menu.store, menu.order(), key="order-1")
    again = await place(client, menu.store, menu.order(), key="order-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == first.json()["number"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    other_body = await place(client, menu.store, menu.order(note="different"), key="order-1")
    assert other_body.status_code == 409
    assert other_body.json()["code"] == "idempotency_key_reused"
    # a key whose first attempt failed is free again
    failed = await place(
        client, menu.store, menu.order(items=[{"item_id": menu.gone["id"]}]), key="order-2"
    )
    assert failed.status_code == 422
    retried = await place(client, menu.store, menu.order(), key="order-2")
    assert retried.status_code == 201
    assert retried.json()["id"] != first.json()["id"]


async def test_twenty_concurrent_duplicates_make_one_order(
    client: Client, menu: Menu, db: Any
) -> None:
    body = menu.order()
    responses = await asyncio.gather(
        *(place(client, menu.store, body, key="same-key") for _ in range(20))
    )
    assert [r.status_code for r in responses] == [201] * 20
    assert len({r.json()["id"] for r in responses}) == 1
    async with db.tenant(menu.store.tenant.schema) as conn:
        assert await conn.fetchval("SELECT count(*) FROM orders") == 1
        assert await conn.fetchval("SELECT count(*) FROM order_lines") == 2


async def test_lifecycle_and_admin_listing(client: Client, menu: Menu) -> None:
    staff = await add_staff(client, menu.store, "staff")
    a = (await place(client, menu.store, menu.order())).json()
    b = (await place(client, menu.store, menu.order())).json()
    url = f"/api/v1/admin/orders/{a['id']}"
    for status in ("accepted", "preparing", "ready"):
        response = await client.patch(url, json={"status": status}, headers=menu.store.auth(staff))
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
    illegal = await client.patch(url, json={"status": "cancelled"}, headers=menu.store.auth(staff))
    assert illegal.status_code == 409
    assert illegal.json()["code"] == "illegal_transition"
    backwards = await client.patch(url, json={"status": "received"}, headers=menu.store.auth())
    assert backwards.status_code == 409
    assert (
        await client.patch(url, json={"status": "completed"}, headers=menu.store.auth())
    ).status_code == 200
    assert (
        await client.patch(url, json={"status": "completed"}, headers=menu.store.auth())
    ).status_code == 409
    cancel_b = await client.patch(
        f"/api/v1/admin/orders/{b['id']}", json={"status": "cancelled"}, headers=menu.store.auth()
    )
    assert cancel_b.status_code == 200
    assert (
        await client.patch(
            f"/api/v1/admin/orders/{b['id']}",
            json={"status": "accepted"},
            headers=menu.store.auth(),
        )
    ).status_code == 409

    unknown_status = await client.patch(url, json={"status": "eaten"}, headers=menu.store.auth())
    assert unknown_status.status_code == 400
    missing = await client.patch(
        "/api/v1/admin/orders/999999", json={"status": "accepted"}, headers=menu.store.auth()
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "order_not_found"

    c = (await place(client, menu.store, menu.order())).json()
    everything = await client.get("/api/v1/admin/orders", headers=menu.store.auth(staff))
    assert [o["id"] for o in everything.json()] == [c["id"], b["id"], a["id"]]
    assert everything.json()[0]["customer"]["phone"] == "+39 06 1234"
    active = await client.get(
        "/api/v1/admin/orders?status=received,accepted", headers=menu.store.auth()
    )
    assert [o["id"] for o in active.json()] == [c["id"]]
    done = await client.get(
        "/api/v1/admin/orders?status=completed,cancelled", headers=menu.store.auth()
    )
    assert [o["id"] for o in done.json()] == [b["id"], a["id"]]
    limited = await client.get("/api/v1/admin/orders?limit=1", headers=menu.store.auth())
    assert len(limited.json()) == 1
    bad = await client.get("/api/v1/admin/orders?status=received,bogus", headers=menu.store.auth())
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "status"
    assert (
        await client.get("/api/v1/admin/orders?limit=0", headers=menu.store.auth())
    ).status_code == 400
    admin_get = await client.get(f"/api/v1/admin/orders/{c['id']}", headers=menu.store.auth(staff))
    assert admin_get.json()["id"] == c["id"]


async def test_order_token_is_required_and_scoped(client: Client, menu: Menu) -> None:
    a = (await place(client, menu.store, menu.order())).json()
    b = (await place(client, menu.store, menu.order())).json()
    url = f"/api/v1/store/orders/{a['id']}"
    assert (await client.get(url, headers=menu.store.host)).status_code == 401
    wrong_order = await client.get(
        url, headers={**menu.store.host, "authorization": f"Bearer {b['token']}"}
    )
    assert wrong_order.status_code == 403
    assert wrong_order.json()["code"] == "token_wrong_order"
    assert "Ann" not in wrong_order.text
    staff_token = await client.get(url, headers=menu.store.auth())
    assert staff_token.status_code == 401  # a staff token is not an order token
    ok = await client.get(url, headers={**menu.store.host, "authorization": f"Bearer {a['token']}"})
    assert ok.status_code == 200


async def test_events_reach_the_streams(
    client: Client, menu: Menu, redis: Redis, relay: object
) -> None:
    tid = menu.store.tenant.id
    order = (await place(client, menu.store, menu.order())).json()
    await client.patch(
        f"/api/v1/admin/orders/{order['id']}",
        json={"status": "accepted"},
        headers=menu.store.auth(),
    )
    kitchen = await stream_events(redis, tid, "kitchen", 2)
    assert [t for t, _ in kitchen] == ["order.created", "order.updated"]
    created = kitchen[0][1]
    assert (created["id"], created["number"], created["status"], created["total"]) == (
        order["id"],
        1,
        "received",
        order["total"],
    )
    assert created["items"][0] == {
        "name": "Margherita",
        "quantity": 2,
        "modifiers": ["Large", "Olives"],
        "note": None,
    }
    assert "phone" not in json.dumps(created)
    assert kitchen[1][1]["status"] == "accepted"
    own = await stream_events(redis, tid, f"order:{order['id']}", 2)
    assert [t for t, _ in own] == ["order.created", "order.updated"]
    menu_events = await stream_events(redis, tid, "menu", 4)
    assert {t for t, _ in menu_events} == {"menu.updated"}
    versions = [d["version"] for _, d in menu_events]
    assert versions == sorted(versions)
    current = (await client.get("/api/v1/store/menu", headers=menu.store.host)).json()["version"]
    assert versions[-1] == current


async def test_an_idempotency_key_is_remembered_for_a_day(
    client: Client, menu: Menu, db: Any
) -> None:
    first = await place(client, menu.store, menu.order(), key="daily-key")
    async with db.tenant(menu.store.tenant.schema) as conn:
        await conn.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '23 hours' WHERE key = 'daily-key'"
        )
    within = await place(client, menu.store, menu.order(), key="daily-key")
    assert within.json()["id"] == first.json()["id"]
    async with db.tenant(menu.store.tenant.schema) as conn:
        await conn.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'daily-key'"
        )
    later = await place(client, menu.store, menu.order(note="new day"), key="daily-key")
    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]
    # the first order itself is untouched
    kept = await client.get(
        f"/api/v1/store/orders/{first.json()['id']}",
        headers={**menu.store.host, "authorization": f"Bearer {first.json()['token']}"},
    )
    assert kept.status_code == 200
