"""Admin CRUD of categories and items, through the real middleware and database."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from stelly_core.db import Database

from .conftest import (
    PIZZA_ITEM,
    SIMPLE_ITEM,
    Client,
    MakeStore,
    Store,
    add_category,
    add_item,
    add_staff,
    insert_image,
)


async def menu_of(client: Client, store: Store) -> dict[str, Any]:
    response = await client.get("/api/v1/store/menu", headers=store.host)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_only_a_ready_image_of_this_tenant_is_accepted(
    client: Client, make_store: MakeStore, db: Database
) -> None:
    pizza, burger = await make_store(), await make_store()
    category = await add_category(client, pizza)
    item = await add_item(client, pizza, category["id"], SIMPLE_ITEM)
    burgers_image = await insert_image(db, burger)
    processing = await insert_image(db, pizza, status="processing")
    failed = await insert_image(db, pizza, status="failed")
    for image_id, code in (
        (burgers_image, "image_not_found"),
        (str(uuid.uuid4()), "image_not_found"),
        ("not-a-uuid", "image_not_found"),
        (processing, "image_not_ready"),
        (failed, "image_not_ready"),
    ):
        refused = await client.patch(
            f"/api/v1/admin/items/{item['id']}", json={"image_id": image_id}, headers=pizza.auth()
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == code
        assert refused.json()["errors"][0]["field"] == "image_id"
        created = await client.post(
            "/api/v1/admin/items",
            json={**SIMPLE_ITEM, "category_id": category["id"], "image_id": image_id},
            headers=pizza.auth(),
        )
        assert created.status_code == 422
    menu = await menu_of(client, pizza)
    assert all(i["image"] is None for c in menu["categories"] for i in c["items"])


async def test_category_crud(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    drinks = await add_category(client, store, "Drinks")
    mains = await add_category(client, store, "Mains")
    response = await client.patch(
        f"/api/v1/admin/categories/{drinks['id']}", json={"position": 5}, headers=store.auth()
    )
    assert response.status_code == 200
    assert response.json() == {"id": drinks["id"], "name": "Drinks", "position": 5, "item_count": 0}
    listed = await client.get("/api/v1/admin/categories", headers=store.auth())
    assert [c["name"] for c in listed.json()] == ["Mains", "Drinks"]
    assert [c["name"] for c in (await menu_of(client, store))["categories"]] == ["Mains", "Drinks"]
    deleted = await client.delete(f"/api/v1/admin/categories/{mains['id']}", headers=store.auth())
    assert deleted.status_code == 204
    assert [c["name"] for c in (await menu_of(client, store))["categories"]] == ["Drinks"]


async def test_category_errors(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    category = await add_category(client, store)
    await add_item(client, store, category["id"], SIMPLE_ITEM)
    refused = await client.delete(
        f"/api/v1/admin/categories/{category['id']}", headers=store.auth()
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "category_not_empty"
    assert len((await menu_of(client, store))["categories"][0]["items"]) == 1
    for method, body in (("PATCH", {"name": "x"}), ("DELETE", None)):
        missing = await client.request(
            method, "/api/v1/admin/categories/999999", json=body, headers=store.auth()
        )
        assert missing.status_code == 404
        assert missing.json()["code"] == "category_not_found"
    for body, field in (
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "a\u0000b"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok", "position": "first"}, "position"),
    ):
        response = await client.post("/api/v1/admin/categories", json=body, headers=store.auth())
        assert response.status_code == 400, body
        assert response.json()["code"] == "validation_error"
        assert response.json()["errors"][0]["field"] == field
    unknown = await client.patch(
        f"/api/v1/admin/categories/{category['id']}", json={"colour": "red"}, headers=store.auth()
    )
    assert unknown.status_code == 400
    huge = await client.patch(
        "/api/v1/admin/categories/99999999999999999999", json={}, headers=store.auth()
    )
    assert huge.status_code == 400


async def test_item_crud_and_partial_patch(
    client: Client, make_store: MakeStore, db: Database
) -> None:
    store = await make_store()
    mains = await add_category(client, store, "Mains")
    sides = await add_category(client, store, "Sides")
    item = await add_item(client, store, mains["id"], PIZZA_ITEM)
    assert item["category_id"] == mains["id"]
    assert [len(g["options"]) for g in item["modifier_groups"]] == [2, 3]
    image_id = await insert_image(db, store)

    patched = await client.patch(
        f"/api/v1/admin/items/{item['id']}",
        json={"price": 950, "image_id": image_id, "category_id": sides["id"]},
        headers=store.auth(),
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["price"], body["image_id"], body["category_id"]) == (950, image_id, sides["id"])
    assert body["name"] == "Margherita"  # untouched
    assert body["modifier_groups"] == item["modifier_groups"]  # untouched
    assert body["image"]["variants"]["320"].endswith(
        f"/{store.tenant.id}/images/{image_id}/w320.webp"
    )

    cleared = await client.patch(
        f"/api/v1/admin/items/{item['id']}",
        json={"image_id": None, "modifier_groups": [], "tags": ["veg", "veg", "hot"]},
        headers=store.auth(),
    )
    assert cleared.json()["image_id"] is None
    assert cleared.json()["modifier_groups"] == []
    assert cleared.json()["tags"] == ["veg", "hot"]

    fetched = await client.get(f"/api/v1/admin/items/{item['id']}", headers=store.auth())
    assert fetched.json() == cleared.json()
    listed = await client.get(
        f"/api/v1/admin/items?category_id={sides['id']}", headers=store.auth()
    )
    assert [i["id"] for i in listed.json()] == [item["id"]]
    assert (
        await client.get(f"/api/v1/admin/items?category_id={mains['id']}", headers=store.auth())
    ).json() == []

    deleted = await client.delete(f"/api/v1/admin/items/{item['id']}", headers=store.auth())
    assert deleted.status_code == 204
    gone = await client.get(f"/api/v1/admin/items/{item['id']}", headers=store.auth())
    assert gone.status_code == 404
    assert gone.json()["code"] == "item_not_found"
    assert all(not c["items"] for c in (await menu_of(client, store))["categories"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": -1}, "price"),
        ({"price": 10**12}, "price"),
        ({"price": 9.5}, "price"),
        ({"name": None}, "name"),
        ({"tags": ["Not A Tag"]}, "tags[0]"),
        ({"image_id": "../../etc"}, "image_id"),
        ({"description": "x" * 2001}, "description"),
        ({"category_id": 0}, "category_id"),
        ({"modifier_groups": [{"name": "G", "options": []}]}, "modifier_groups[0].options"),
        (
            {"modifier_groups": [{"name": "G", "options": [{"name": "a", "price": -5}]}]},
            "modifier_groups[0].options[0].price",
        ),
        ({"available": 0}, "available"),
        ({"price": "400"}, "price"),
    ],
)
async def test_item_validation_names_the_field(
    client: Client, shared_store: Store, change: dict[str, Any], field: str
) -> None:
    store = shared_store
    category = {"id": 1}
    response = await client.post(
        "/api/v1/admin/items",
        json={**SIMPLE_ITEM, "category_id": category["id"], **change},
        headers=store.auth(),
    )
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("groups", "field"),
    [
        (
            [{"name": "G", "min": 2, "max": 1, "options": [{"name": "a"}, {"name": "b"}]}],
            "modifier_groups[0].max",
        ),
        ([{"name": "G", "min": 2, "max": 2, "options": [{"name": "a"}]}], "modifier_groups[0].min"),
        ([{"name": "G", "min": 0, "max": 3, "options": [{"name": "a"}]}], "modifier_groups[0].max"),
    ],
)
async def test_inconsistent_modifier_groups_are_422(
    client: Client, shared_store: Store, groups: list[dict[str, Any]], field: str
) -> None:
    """Each bound fits the schema; how they relate does not (JSON Schema cannot say it)."""
    response = await client.post(
        "/api/v1/admin/items",
        json={**SIMPLE_ITEM, "category_id": 1, "modifier_groups": groups},
        headers=shared_store.auth(),
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_modifier_group"
    assert response.json()["errors"][0]["field"] == field


async def test_item_errors(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    category = await add_category(client, store)
    item = await add_item(client, store, category["id"], SIMPLE_ITEM)
    unknown_category = await client.post(
        "/api/v1/admin/items", json={**SIMPLE_ITEM, "category_id": 987654}, headers=store.auth()
    )
    assert unknown_category.status_code == 422
    assert unknown_category.json()["code"] == "unknown_category"
    moved_nowhere = await client.patch(
        f"/api/v1/admin/items/{item['id']}", json={"category_id": 987654}, headers=store.auth()
    )
    assert moved_nowhere.status_code == 422
    for method in ("PATCH", "DELETE"):
        missing = await client.request(
            method, "/api/v1/admin/items/987654", json={"price": 1}, headers=store.auth()
        )
        assert missing.status_code == 404
    not_json = await client.post(
        "/api/v1/admin/items",
        content=b"{not json",
        headers={**store.auth(), "content-type": "application/json"},
    )
    assert not_json.status_code == 400


async def test_staff_may_only_toggle_availability(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    staff = await add_staff(client, store, "staff")
    category = await add_category(client, store)
    item = await add_item(client, store, category["id"], SIMPLE_ITEM)
    url = f"/api/v1/admin/items/{item['id']}"
    off = await client.patch(url, json={"available": False}, headers=store.auth(staff))
    assert off.status_code == 200
    assert (await menu_of(client, store))["categories"][0]["items"][0]["available"] is False
    price = await client.patch(url, json={"price": 1}, headers=store.auth(staff))
    assert price.status_code == 403
    assert price.json()["code"] == "insufficient_role"
    assert (await client.delete(url, headers=store.auth(staff))).status_code == 403
    assert (
        await client.post(
            "/api/v1/admin/items",
            json={**SIMPLE_ITEM, "category_id": category["id"]},
            headers=store.auth(staff),
        )
    ).status_code == 403
    assert (await client.get(url, headers=store.auth(staff))).json()["price"] == 400


async def test_every_menu_write_bumps_the_version(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    versions = [(await menu_of(client, store))["version"]]
    category = await add_category(client, store)
    versions.append((await menu_of(client, store))["version"])
    item = await add_item(client, store, category["id"], SIMPLE_ITEM)
    versions.append((await menu_of(client, store))["version"])
    await client.patch(
        f"/api/v1/admin/items/{item['id']}", json={"available": False}, headers=store.auth()
    )
    versions.append((await menu_of(client, store))["version"])
    await client.delete(f"/api/v1/admin/items/{item['id']}", headers=store.auth())
    versions.append((await menu_of(client, store))["version"])
    assert versions == sorted(set(versions))
    assert len(versions) == 5


async def test_admin_store_settings(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    current = await client.get("/api/v1/admin/store", headers=store.auth())
    assert current.json() == {
        "name": store.tenant.name,
        "currency": "EUR",
        "timezone": "UTC",
        "opening_hours": None,
        "hours_exceptions": [],
        "closed_now": False,
    }
    hours = {
        "mon": [{"open": "11:00", "close": "22:00"}],
        "sat": [{"open": "18:00", "close": "02:00"}],
    }
    changed = await client.patch(
        "/api/v1/admin/store",
        json={
            "name": "Renamed",
            "currency": "CHF",
            "timezone": "Europe/Zurich",
            "opening_hours": hours,
        },
        headers=store.auth(),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "name": "Renamed",
        "currency": "CHF",
        "timezone": "Europe/Zurich",
        "opening_hours": hours,
        "hours_exceptions": [],
        "closed_now": False,
    }
    public = (await client.get("/api/v1/store", headers=store.host)).json()
    assert (public["name"], public["currency"], public["timezone"]) == (
        "Renamed",
        "CHF",
        "Europe/Zurich",
    )
    assert (await menu_of(client, store))["currency"] == "CHF"
    partial = await client.patch(
        "/api/v1/admin/store", json={"name": "Again"}, headers=store.auth()
    )
    assert partial.json()["opening_hours"] == hours
    assert partial.json()["currency"] == "CHF"
    for body, field in (
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"currency": "euro"}, "currency"),
        ({"opening_hours": {"funday": []}}, "opening_hours"),
        ({"opening_hours": {"mon": [{"open": "25:00", "close": "26:00"}]}}, "opening_hours"),
        ({"opening_hours": {"mon": [{"open": "10:00"}]}}, "opening_hours"),
    ):
        response = await client.patch("/api/v1/admin/store", json=body, headers=store.auth())
        assert response.status_code == 400, (body, response.text)
        assert response.json()["errors"][0]["field"].startswith(field), response.text
