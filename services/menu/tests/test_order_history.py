"""Order history (search, local dates, keyset pages) and each order's status history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from stelly_core.db import Database

from .conftest import (
    SIMPLE_ITEM,
    Client,
    MakeStore,
    Store,
    add_category,
    add_item,
    add_staff,
)

HISTORY = "/api/v1/admin/orders/history"


async def place(client: Client, store: Store, item_id: int, name: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/store/orders",
        json={"items": [{"item_id": item_id}], "customer": {"name": name}, "fulfillment": "pickup"},
        headers={**store.host, "idempotency-key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def insert_order(
    db: Database, store: Store, created_at: datetime, name: str, status: str = "completed"
) -> int:
    """An order with a chosen creation instant (the API always stamps now)."""
    async with db.tenant(store.tenant.schema) as conn:
        number = await conn.fetchval("SELECT coalesce(max(number), 0) + 1000 FROM orders")
        order_id: int = await conn.fetchval(
            "INSERT INTO orders (number, business_date, status, fulfillment, customer_name,"
            " total, currency, created_at, updated_at)"
            " VALUES ($1, ($2 AT TIME ZONE $5)::date, $3, 'pickup', $4, 1000, 'EUR', $2, $2)"
            " RETURNING id",
            number,
            created_at,
            status,
            name,
            store.tenant.timezone,
        )
    return order_id


async def history(client: Client, store: Store, token: str | None = None, **params: Any) -> Any:
    return await client.get(HISTORY, params=params, headers=store.auth(token))


async def test_search_pages_and_filters(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    category = await add_category(client, store)
    item = await add_item(client, store, category["id"], SIMPLE_ITEM)
    names = ["Ada Lovelace", "Alan Turing", "100% Grace", "Grace_Hopper", "ada king"]
    placed = [await place(client, store, item["id"], n) for n in names]

    # newest first, keyset pages of 2
    seen: list[int] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await history(client, store, **params)).json()
        seen += [o["id"] for o in page["orders"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [o["id"] for o in reversed(placed)]
    first = (await history(client, store, limit=1)).json()["orders"][0]
    assert set(first) == {
        "id",
        "number",
        "business_date",
        "status",
        "customer_name",
        "total",
        "currency",
        "created_at",
    }
    assert first["created_at"].endswith("Z")

    def names_for(body: Any) -> list[str]:
        return sorted(o["customer_name"] for o in body["orders"])

    # a name, case-insensitively, as a substring
    assert names_for((await history(client, store, q="ADA")).json()) == [
        "Ada Lovelace",
        "ada king",
    ]
    # LIKE wildcards are literal
    assert names_for((await history(client, store, q="100%")).json()) == ["100% Grace"]
    assert names_for((await history(client, store, q="e_H")).json()) == ["Grace_Hopper"]
    assert names_for((await history(client, store, q="%")).json()) == ["100% Grace"]
    # digits: the order number exactly
    by_number = (await history(client, store, q=str(placed[2]["number"]))).json()
    assert [o["id"] for o in by_number["orders"]] == [placed[2]["id"]]
    # status
    await client.patch(
        f"/api/v1/admin/orders/{placed[0]['id']}",
        json={"status": "cancelled"},
        headers=store.auth(),
    )
    cancelled = (await history(client, store, status="cancelled")).json()
    assert [o["id"] for o in cancelled["orders"]] == [placed[0]["id"]]
    # dates: today's local date includes them all
    today = datetime.now(UTC).astimezone(ZoneInfo(store.tenant.timezone)).date()
    assert (
        len(
            (await history(client, store, **{"from": str(today), "to": str(today)})).json()[
                "orders"
            ]
        )
        == 5
    )
    # any staff role may read it
    staff = await add_staff(client, store, "staff")
    assert (await history(client, store, staff)).status_code == 200


async def test_local_dates_decide_the_range(
    client: Client, make_store: MakeStore, db: Database
) -> None:
    store = await make_store(timezone="Europe/Rome")
    rome = ZoneInfo("Europe/Rome")
    late = await insert_order(db, store, datetime(2026, 6, 14, 23, 59, tzinfo=rome), "Late")
    early = await insert_order(db, store, datetime(2026, 6, 15, 0, 1, tzinfo=rome), "Early")
    on_14 = (await history(client, store, **{"from": "2026-06-14", "to": "2026-06-14"})).json()
    assert [o["id"] for o in on_14["orders"]] == [late]
    assert on_14["orders"][0]["business_date"] == "2026-06-14"
    on_15 = (await history(client, store, **{"from": "2026-06-15", "to": "2026-06-15"})).json()
    assert [o["id"] for o in on_15["orders"]] == [early]
    both = (await history(client, store, **{"from": "2026-06-01"})).json()
    assert [o["id"] for o in both["orders"]] == [early, late]
    until = (await history(client, store, to="2026-06-14")).json()
    assert [o["id"] for o in until["orders"]] == [late]


async def test_bad_queries_are_4xx_naming_the_field(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    for params, status, field in (
        ({"from": "2026-13-01"}, 422, "from"),
        ({"to": "yesterday"}, 422, "to"),
        ({"to": ""}, 422, "to"),
        ({"from": "2026-06-02", "to": "2026-06-01"}, 422, "to"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, 422, "to"),
        ({"status": "eaten"}, 400, "status"),
        ({"limit": "0"}, 400, "limit"),
    ):
        response = await history(client, store, **params)
        assert response.status_code == status, (params, response.text)
        assert response.json()["errors"][0]["field"] == field
    # 366 days inclusive is fine
    assert (
        await history(client, store, **{"from": "2025-01-01", "to": "2026-01-01"})
    ).status_code == 200
    bad_cursor = await history(client, store, cursor="not-a-cursor")
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["code"] == "invalid_cursor"
    assert bad_cursor.json()["errors"][0]["field"] == "cursor"


async def test_status_history_records_who_and_when(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    category = await add_category(client, store)
    item = await add_item(client, store, category["id"], SIMPLE_ITEM)
    order = await place(client, store, item["id"], "Ann")
    staff = await add_staff(client, store, "staff")
    me = (await client.get("/api/v1/auth/me", headers=store.auth(staff))).json()
    await client.patch(
        f"/api/v1/admin/orders/{order['id']}",
        json={"status": "accepted"},
        headers=store.auth(staff),
    )
    await client.patch(
        f"/api/v1/admin/orders/{order['id']}", json={"status": "preparing"}, headers=store.auth()
    )
    # a refused transition records nothing
    await client.patch(
        f"/api/v1/admin/orders/{order['id']}", json={"status": "received"}, headers=store.auth()
    )
    body = (await client.get(f"/api/v1/admin/orders/{order['id']}", headers=store.auth())).json()
    history_rows = body["status_history"]
    assert [(h["status"], h["by"]) for h in history_rows] == [
        ("received", None),
        ("accepted", {"id": me["id"], "email": me["email"]}),
        ("preparing", {"id": 1, "email": store.owner_email}),
    ]
    assert history_rows[0]["at"] == body["created_at"]
    assert all(h["at"].endswith("Z") for h in history_rows)
    # the customer's view never shows who handled it
    customer = await client.get(
        f"/api/v1/store/orders/{order['id']}",
        headers={**store.host, "authorization": f"Bearer {order['token']}"},
    )
    assert "status_history" not in customer.json()


async def test_history_across_tenants(client: Client, make_store: MakeStore) -> None:
    victim, attacker = await make_store(), await make_store()
    category = await add_category(client, victim)
    item = await add_item(client, victim, category["id"], SIMPLE_ITEM)
    await place(client, victim, item["id"], "Victim Secret")
    response = await history(client, victim, attacker.token)
    assert response.status_code == 403
    assert response.json()["code"] == "token_wrong_tenant"
    assert "Secret" not in response.text
    mine = (await history(client, attacker)).json()
    assert mine["orders"] == []
    # the victim's order id through the attacker's own host is not there
    foreign = await client.get("/api/v1/admin/orders/1", headers=attacker.auth())
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "order_not_found"
