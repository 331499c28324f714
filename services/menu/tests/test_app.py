"""The service's shell: health, OpenAPI, the runnable module, the migrations it registers."""

from __future__ import annotations

import subprocess
import sys

from stelly_tenancy.migrations import tenant_migrations

from .conftest import Client, Store


async def test_health_routes_answer_on_any_host(client: Client) -> None:
    for host in ("localhost", "nobody.localhost"):
        assert (await client.get("/healthz", headers={"host": host})).status_code == 200
        ready = await client.get("/readyz", headers={"host": host})
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready"}


async def test_openapi_lists_every_endpoint(client: Client, shared_store: Store) -> None:
    response = await client.get("/schema/openapi.json", headers=shared_store.host)
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/store",
        "/api/v1/store/menu",
        "/api/v1/store/orders",
        "/api/v1/store/orders/{order_id}",
        "/api/v1/auth/token",
        "/api/v1/admin/store",
        "/api/v1/admin/categories",
        "/api/v1/admin/categories/{category_id}",
        "/api/v1/admin/items",
        "/api/v1/admin/items/{item_id}",
        "/api/v1/admin/users",
        "/api/v1/admin/orders",
        "/api/v1/admin/orders/{order_id}",
    ):
        assert path in paths, path


async def test_unknown_route_and_method_are_problems(client: Client, shared_store: Store) -> None:
    missing = await client.get("/api/v1/nothing", headers=shared_store.host)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong_method = await client.delete("/api/v1/store/menu", headers=shared_store.host)
    assert wrong_method.status_code == 405


def test_menu_migrations_are_registered() -> None:
    names = [(m.component, m.name) for m in tenant_migrations()]
    assert ("menu", "menu") in names
    assert names.index(("menu", "menu")) > names.index(("core", "staff_users"))


def test_the_module_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stelly_menu", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--port" in done.stdout
