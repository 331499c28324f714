"""GET /api/v1/store and GET /api/v1/store/menu through the real middleware, DB and Redis."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from stelly_core.db import Database
from stelly_core.settings import Settings
from stelly_menu.app import create_app

from .conftest import (
    PIZZA_ITEM,
    SIMPLE_ITEM,
    Client,
    MakeStore,
    add_category,
    add_item,
    insert_image,
)


async def test_store_answers_with_spec_fields(client: Client, make_store: MakeStore) -> None:
    store = await make_store(currency="USD", timezone="America/New_York")
    response = await client.get("/api/v1/store", headers=store.host)
    assert response.status_code == 200
    assert response.json() == {
        "slug": store.tenant.slug,
        "name": store.tenant.name,
        "currency": "USD",
        "timezone": "America/New_York",
        "is_open": True,
        "realtime_url": f"ws://{store.tenant.slug}.localhost/ws/v1",
        "opening_hours": None,
        "hours_exceptions": [],
        "closed_now": False,
        "next_change_at": None,
    }


async def test_realtime_url_follows_the_edge_scheme(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    response = await client.get(
        "/api/v1/store", headers={**store.host, "x-forwarded-proto": "https"}
    )
    assert response.json()["realtime_url"] == f"wss://{store.tenant.slug}.localhost/ws/v1"


async def test_realtime_url_from_the_configured_template_not_from_headers(
    settings: Settings, make_store: MakeStore
) -> None:
    store = await make_store()
    configured = settings.model_copy(
        update={"realtime_public_url": "wss://{slug}.rt.stelly.example/ws/v1?h={host}"}
    )
    async with AsyncTestClient(create_app(configured, relay=False)) as other:
        response = await other.get(
            "/api/v1/store", headers={**store.host, "x-tenant-host": "evil.example"}
        )
    slug = store.tenant.slug
    assert (
        response.json()["realtime_url"]
        == f"wss://{slug}.rt.stelly.example/ws/v1?h={slug}.localhost"
    )


async def test_store_closed_by_its_hours(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    response = await client.patch(
        "/api/v1/admin/store", json={"opening_hours": {}}, headers=store.auth()
    )
    assert response.status_code == 200, response.text
    assert response.json()["opening_hours"] == {}
    assert (await client.get("/api/v1/store", headers=store.host)).json()["is_open"] is False
    every_day = {
        d: [{"open": "00:00", "close": "24:00"}]
        for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    await client.patch(
        "/api/v1/admin/store", json={"opening_hours": every_day}, headers=store.auth()
    )
    assert (await client.get("/api/v1/store", headers=store.host)).json()["is_open"] is True


async def test_unknown_host_is_refused(client: Client) -> None:
    response = await client.get("/api/v1/store/menu", headers={"host": "nobody-here.localhost"})
    assert response.status_code == 404
    assert response.json()["code"] == "tenant_not_found"


async def test_menu_shape_etag_and_cache_headers(
    client: Client, make_store: MakeStore, db: Database
) -> None:
    store = await make_store()
    image_id = await insert_image(db, store)
    empty = await client.get("/api/v1/store/menu", headers=store.host)
    assert empty.status_code == 200
    assert empty.json()["categories"] == []
    category = await add_category(client, store, "Pizze")
    pizza = await add_item(client, store, category["id"], PIZZA_ITEM)
    await add_item(
        client, store, category["id"], {**SIMPLE_ITEM, "available": False, "image_id": image_id}
    )

    response = await client.get("/api/v1/store/menu", headers=store.host)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "public, no-cache"
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    menu = response.json()
    assert menu["currency"] == "EUR"
    assert menu["version"] > empty.json()["version"]
    [cat] = menu["categories"]
    assert (cat["id"], cat["name"], cat["position"]) == (category["id"], "Pizze", 0)
    first, second = cat["items"]
    assert first["id"] == pizza["id"]
    assert first["price"] == 900
    assert first["image"] is None
    assert [g["name"] for g in first["modifier_groups"]] == ["Size", "Extras"]
    assert first["modifier_groups"][0]["options"][1] == {
        "id": pizza["modifier_groups"][0]["options"][1]["id"],
        "name": "Large",
        "price": 300,
    }
    assert second["available"] is False
    assert second["tags"] == ["vegan"]
    assert second["image"]["id"] == image_id
    assert set(second["image"]["variants"]) == {"320", "640", "1280"}
    assert second["image"]["variants"]["640"].endswith(
        f"/{store.tenant.id}/images/{image_id}/w640.webp"
    )

    again = await client.get("/api/v1/store/menu", headers={**store.host, "if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, no-cache"
    assert "content-type" not in again.headers
    assert response.headers["content-length"] == str(len(response.content))
    other = await client.get(
        "/api/v1/store/menu", headers={**store.host, "if-none-match": '"nope"'}
    )
    assert other.status_code == 200


async def test_a_write_is_visible_to_the_next_read_on_another_replica(
    client: Client, make_store: MakeStore, settings: Settings
) -> None:
    store = await make_store()
    category = await add_category(client, store)
    async with AsyncTestClient(create_app(settings, relay=False)) as replica:
        before = await replica.get("/api/v1/store/menu", headers=store.host)
        assert before.status_code == 200
        await add_item(client, store, category["id"], SIMPLE_ITEM)
        after = await replica.get(
            "/api/v1/store/menu", headers={**store.host, "if-none-match": before.headers["etag"]}
        )
        assert after.status_code == 200
        assert after.headers["etag"] != before.headers["etag"]
        assert [i["name"] for i in after.json()["categories"][0]["items"]] == ["Fries"]


async def test_menus_are_cached_per_tenant(client: Client, make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
    await add_category(client, a, "Only in A")
    await client.get("/api/v1/store/menu", headers=a.host)
    menu_b = (await client.get("/api/v1/store/menu", headers=b.host)).json()
    assert menu_b["categories"] == []
