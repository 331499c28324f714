"""Reordering categories and items, and the item PATCH round trip of modifier groups and tags."""

from __future__ import annotations

from typing import Any

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


async def version_of(client: Client, store: Store) -> int:
    menu: dict[str, Any] = (await client.get("/api/v1/store/menu", headers=store.host)).json()
    return int(menu["version"])


async def test_reorder_categories_and_items(
    client: Client, make_store: MakeStore, redis: Redis, relay: object
) -> None:
    store = await make_store()
    a, b, c = [await add_category(client, store, name) for name in ("A", "B", "C")]
    x = await add_item(client, store, a["id"], {**SIMPLE_ITEM, "name": "X"})
    y = await add_item(client, store, a["id"], {**SIMPLE_ITEM, "name": "Y"})
    z = await add_item(client, store, a["id"], {**SIMPLE_ITEM, "name": "Z"})
    before = await version_of(client, store)

    response = await client.post(
        "/api/v1/admin/categories/reorder",
        json={"ids": [c["id"], a["id"], b["id"]]},
        headers=store.auth(),
    )
    assert response.status_code == 200, response.text
    assert [(r["name"], r["position"]) for r in response.json()] == [("C", 0), ("A", 1), ("B", 2)]
    assert [r["item_count"] for r in response.json()] == [0, 3, 0]
    assert await version_of(client, store) == before + 1

    response = await client.post(
        "/api/v1/admin/items/reorder",
        json={"category_id": a["id"], "ids": [z["id"], x["id"], y["id"]]},
        headers=store.auth(),
    )
    assert response.status_code == 200, response.text
    assert [(r["name"], r["position"]) for r in response.json()] == [("Z", 0), ("X", 1), ("Y", 2)]
    assert await version_of(client, store) == before + 2

    menu = (await client.get("/api/v1/store/menu", headers=store.host)).json()
    assert [cat["name"] for cat in menu["categories"]] == ["C", "A", "B"]
    assert [i["name"] for i in menu["categories"][1]["items"]] == ["Z", "X", "Y"]
    # one menu.updated per reorder
    events = await stream_events(redis, store.tenant.id, "menu", before + 1)
    versions = [data["version"] for kind, data in events if kind == "menu.updated"]
    assert versions[-2:] == [before + 1, before + 2]


async def test_a_list_that_is_not_the_current_set_is_409(
    client: Client, make_store: MakeStore
) -> None:
    store, other = await make_store(), await make_store()
    a, b = await add_category(client, store, "A"), await add_category(client, store, "B")
    x = await add_item(client, store, a["id"], SIMPLE_ITEM)
    y = await add_item(client, store, a["id"], SIMPLE_ITEM)
    foreign = [await add_category(client, other, f"Foreign {n}") for n in range(3)][-1]
    before = await version_of(client, store)
    for ids in ([a["id"]], [a["id"], b["id"], b["id"]], [a["id"], b["id"], 999_999], []):
        response = await client.post(
            "/api/v1/admin/categories/reorder", json={"ids": ids}, headers=store.auth()
        )
        assert response.status_code == 409, (ids, response.text)
        assert response.json()["code"] == "reorder_mismatch"
    for ids in ([x["id"]], [x["id"], y["id"], y["id"]], [y["id"], x["id"], 12345]):
        response = await client.post(
            "/api/v1/admin/items/reorder",
            json={"category_id": a["id"], "ids": ids},
            headers=store.auth(),
        )
        assert response.status_code == 409, (ids, response.text)
    # an item of another category is not in this one's set
    response = await client.post(
        "/api/v1/admin/items/reorder",
        json={"category_id": b["id"], "ids": [x["id"]]},
        headers=store.auth(),
    )
    assert response.status_code == 409
    # another tenant's category id (3; this store has 1 and 2) is unknown here
    response = await client.post(
        "/api/v1/admin/items/reorder",
        json={"category_id": foreign["id"], "ids": []},
        headers=store.auth(),
    )
    assert response.status_code == 404
    assert response.json()["code"] == "category_not_found"
    assert await version_of(client, store) == before  # nothing changed
    # bad shapes are 400 naming the field
    response = await client.post(
        "/api/v1/admin/categories/reorder", json={"ids": ["a"]}, headers=store.auth()
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"].startswith("ids")


async def test_reorder_roles_and_tenants(client: Client, make_store: MakeStore) -> None:
    store, attacker = await make_store(), await make_store()
    a = await add_category(client, store, "A")
    staff = await add_staff(client, store, "staff")
    manager = await add_staff(client, store, "manager")
    body = {"ids": [a["id"]]}
    denied = await client.post(
        "/api/v1/admin/categories/reorder", json=body, headers=store.auth(staff)
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "insufficient_role"
    denied = await client.post(
        "/api/v1/admin/items/reorder",
        json={"category_id": a["id"], "ids": []},
        headers=store.auth(staff),
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "insufficient_role"
    assert (
        await client.post(
            "/api/v1/admin/categories/reorder", json=body, headers=store.auth(manager)
        )
    ).status_code == 200
    for path, payload in (
        ("/api/v1/admin/categories/reorder", body),
        ("/api/v1/admin/items/reorder", {"category_id": a["id"], "ids": []}),
    ):
        response = await client.post(path, json=payload, headers=store.auth(attacker.token))
        assert response.status_code == 403
        assert response.json()["code"] == "token_wrong_tenant"


async def test_item_patch_round_trips_modifier_groups_and_tags(
    client: Client, make_store: MakeStore
) -> None:
    store = await make_store()
    category = await add_category(client, store)
    item = await add_item(client, store, category["id"], SIMPLE_ITEM)
    groups = PIZZA_ITEM["modifier_groups"]
    patched = await client.patch(
        f"/api/v1/admin/items/{item['id']}",
        json={"modifier_groups": groups, "tags": ["spicy", "vegan"]},
        headers=store.auth(),
    )
    assert patched.status_code == 200, patched.text
    expected = [
        {
            "name": g["name"],
            "min": g["min"],
            "max": g["max"],
            "options": [{"name": o["name"], "price": o.get("price", 0)} for o in g["options"]],
        }
        for g in groups
    ]

    def shape(item_groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "name": g["name"],
                "min": g["min"],
                "max": g["max"],
                "options": [{"name": o["name"], "price": o["price"]} for o in g["options"]],
            }
            for g in item_groups
        ]

    assert shape(patched.json()["modifier_groups"]) == expected
    assert patched.json()["tags"] == ["spicy", "vegan"]
    again = (await client.get(f"/api/v1/admin/items/{item['id']}", headers=store.auth())).json()
    assert shape(again["modifier_groups"]) == expected
    assert again["tags"] == ["spicy", "vegan"]
    menu = (await client.get("/api/v1/store/menu", headers=store.host)).json()
    published = menu["categories"][0]["items"][0]
    assert shape(published["modifier_groups"]) == expected
    assert published["tags"] == ["spicy", "vegan"]
