"""Tenants from the console: list with usage by keyset, create, suspend, resume."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from stelly_core.db import Database
from stelly_tenancy.models import TenantStatus
from stelly_tenancy.registry import fetch_by_slug

from .conftest import Admin, Client, Replica


async def _create(client: Client, admin: Admin, slug: str, **extra: str) -> dict[str, object]:
    response = await client.post(
        "/api/v1/platform/tenants",
        json={"slug": slug, "name": "Taco Town", **extra},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_create_provisions_a_tenant_with_its_owner(
    client: Client, admin: Admin, db: Database, new_slug: Callable[[], str]
) -> None:
    slug = new_slug()
    body = await _create(
        client, admin, slug, owner_email=f"owner@{slug}.example", owner_password="owner-pass-1"
    )
    assert body["slug"] == slug and body["status"] == "active"
    assert body["orders_last_7_days"] == 0 and body["images_stored"] == 0
    assert body["last_order_at"] is None
    tenant = await fetch_by_slug(db.pool, slug)
    assert tenant is not None
    async with db.tenant(tenant.schema) as conn:
        role = await conn.fetchval(
            "SELECT role FROM staff_users WHERE email = $1", f"owner@{slug}.example"
        )
    assert role == "owner"


async def test_create_refuses_taken_bad_and_reserved_slugs(
    client: Client, admin: Admin, new_slug: Callable[[], str]
) -> None:
    slug = new_slug()
    await _create(client, admin, slug)
    again = await client.post(
        "/api/v1/platform/tenants", json={"slug": slug, "name": "Again"}, headers=admin.headers
    )
    assert again.status_code == 409 and again.json()["code"] == "tenant_exists"
    for bad in ("console", "www", "Bad Slug", "x", "ab--cd"):
        response = await client.post(
            "/api/v1/platform/tenants", json={"slug": bad, "name": "Bad"}, headers=admin.headers
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["code"] == "invalid_slug"
    half_owner = await client.post(
        "/api/v1/platform/tenants",
        json={"slug": new_slug(), "name": "Half", "owner_email": "a@b.example"},
        headers=admin.headers,
    )
    assert half_owner.status_code == 422 and half_owner.json()["code"] == "invalid_tenant"


async def test_list_is_keyset_paginated_with_usage_of_the_page(
    client: Client, admin: Admin, db: Database, new_slug: Callable[[], str]
) -> None:
    slugs = [new_slug() for _ in range(3)]
    for slug in slugs:
        await _create(client, admin, slug)
    tenant = await fetch_by_slug(db.pool, slugs[1])
    assert tenant is not None
    async with db.tenant(tenant.schema) as conn:
        await conn.execute(
            "INSERT INTO orders (number, business_date, fulfillment, customer_name, total,"
            " currency, created_at) VALUES (1, current_date, 'pickup', 'A', 100, 'EUR', now()),"
            " (2, current_date - 30, 'pickup', 'B', 100, 'EUR', now() - interval '30 days')"
        )
        await conn.execute(
            "INSERT INTO images (id, status, format, width, height, byte_size)"
            " VALUES ($1, 'ready', 'jpeg', 10, 10, 100)",
            uuid.uuid4(),
        )
    seen: dict[str, dict[str, object]] = {}
    cursor = None
    pages = 0
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get("/api/v1/platform/tenants" + query, headers=admin.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        pages += 1
        for item in page["items"]:
            assert item["slug"] not in seen, "a tenant on two pages"
            seen[item["slug"]] = item
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages >= 2
    assert set(slugs) <= set(seen)
    busy = seen[slugs[1]]
    assert busy["orders_last_7_days"] == 1
    assert busy["images_stored"] == 1
    assert busy["last_order_at"] is not None
    assert seen[slugs[0]]["orders_last_7_days"] == 0


async def test_a_bad_cursor_or_limit_is_a_400(client: Client, admin: Admin) -> None:
    for cursor in ("zzz", "-1", "9" * 19):
        response = await client.get(
            f"/api/v1/platform/tenants?cursor={cursor}", headers=admin.headers
        )
        assert response.status_code == 400, cursor
        assert response.json()["code"] == "validation_error"
    for limit in ("0", "101", "x"):
        response = await client.get(
            f"/api/v1/platform/tenants?limit={limit}", headers=admin.headers
        )
        assert response.status_code == 400, limit
        assert response.json()["code"] == "validation_error"


async def test_suspend_and_resume_reach_every_replica(
    client: Client, admin: Admin, replica: Replica, new_slug: Callable[[], str]
) -> None:
    slug = new_slug()
    await _create(client, admin, slug)
    host = f"{slug}.localhost"
    before = await replica.resolver.resolve(host)
    assert before is not None and before.active
    response = await client.post(f"/api/v1/platform/tenants/{slug}/suspend", headers=admin.headers)
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    await replica.eventually(host, lambda t: t is not None and t.status is TenantStatus.SUSPENDED)
    resumed = await client.post(f"/api/v1/platform/tenants/{slug}/resume", headers=admin.headers)
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    missing = await client.post(
        "/api/v1/platform/tenants/nosuchslug/suspend", headers=admin.headers
    )
    assert missing.status_code == 404 and missing.json()["code"] == "tenant_not_found"
