"""The demo menus added by ``stelly seed-demo`` (entry point ``stelly.demo``)."""

from __future__ import annotations

import asyncio
from importlib.metadata import entry_points

from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_menu.demo import seed
from stelly_tenancy.provisioning import NewTenant, create_tenant

from .conftest import Client


async def test_demo_menu_is_seeded_once_and_realistic(
    client: Client, db: Database, hasher: PasswordHashing, unique_slug: str, relay: object
) -> None:
    assert any(ep.value == "stelly_menu.demo:seed" for ep in entry_points(group="stelly.demo"))
    tenant = await create_tenant(db, NewTenant(slug=unique_slug, name="Demo"), hasher=hasher)
    # only the demo slugs get a menu; seeding a demo tenant twice changes nothing
    await seed(db, tenant)
    host = {"host": f"{unique_slug}.localhost"}
    assert (await client.get("/api/v1/store/menu", headers=host)).json()["categories"] == []

    demo = tenant.__class__(
        **{**{f: getattr(tenant, f) for f in tenant.__struct_fields__}, "slug": "pizza"}
    )
    await seed(db, demo)
    async with db.tenant(tenant.schema) as conn:
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM categories) AS c, (SELECT count(*) FROM items) AS i,"
            " (SELECT count(*) FROM modifier_groups) AS g"
        )
    await seed(db, demo)
    async with db.tenant(tenant.schema) as conn:
        again = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM categories) AS c, (SELECT count(*) FROM items) AS i,"
            " (SELECT count(*) FROM modifier_groups) AS g"
        )
    assert counts == again
    assert counts["c"] >= 3

    # the seeder has no Redis: its menu.updated, once relayed, refreshes the cache
    for _ in range(200):
        menu = (await client.get("/api/v1/store/menu", headers=host)).json()
        if menu["categories"]:
            break
        await asyncio.sleep(0.05)
    items = [i for c in menu["categories"] for i in c["items"]]
    assert any(i["modifier_groups"] for i in items)
    assert any(not i["modifier_groups"] for i in items)
    assert any(not i["available"] for i in items)
    assert any(i["tags"] for i in items)
    assert (await client.get("/api/v1/store", headers=host)).json()["is_open"] is True
