"""The service's shell: health, OpenAPI, the runnable module, the migrations it registers."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import asyncpg
from litestar.testing import AsyncTestClient
from stelly_core.settings import Settings
from stelly_menu.app import create_app
from stelly_tenancy.migrations import tenant_migrations

from .conftest import Client, MakeStore, Store


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


def _hold_lock_then_kill_the_waiter(
    database_url: str, schema: str, locked: threading.Event, report: list[object]
) -> None:
    """In a thread of its own (the test client blocks the test's loop while a request runs):
    hold the menu version row, wait for a request to queue behind it, terminate that backend."""

    async def run() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            async with conn.transaction():
                await conn.execute(f'SELECT 1 FROM "{schema}".store_settings FOR UPDATE')  # noqa: S608
                locked.set()
                for _ in range(500):
                    # statistics are a snapshot per transaction unless cleared
                    await conn.execute("SELECT pg_stat_clear_snapshot()")
                    waiting = await conn.fetchval(
                        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND query LIKE '%store_settings%' AND pid <> pg_backend_pid()"
                    )
                    if waiting:
                        report.append(
                            await conn.fetchval("SELECT pg_terminate_backend($1)", waiting)
                        )
                        return
                    await asyncio.sleep(0.02)
        finally:
            await conn.close()

    asyncio.run(run())


async def test_a_lost_database_connection_is_503_not_500(
    settings: Settings, database_url: str, make_store: MakeStore
) -> None:
    store = await make_store()
    async with AsyncTestClient(create_app(settings, relay=False)) as own:
        locked, report = threading.Event(), []
        killer = threading.Thread(
            target=_hold_lock_then_kill_the_waiter,
            args=(database_url, store.tenant.schema, locked, report),
        )
        killer.start()
        assert locked.wait(30)
        # this write queues behind the lock, then loses its connection mid-transaction
        response = await own.post(
            "/api/v1/admin/categories", json={"name": "X"}, headers=store.auth()
        )
        killer.join(30)
        assert report == [True]
        assert response.status_code == 503
        assert response.json()["code"] == "unavailable"
        assert response.headers["retry-after"] == "1"
        # the pool recovers by itself
        again = await own.post("/api/v1/admin/categories", json={"name": "X"}, headers=store.auth())
        assert again.status_code == 201
