"""The platform API answers only on the console host; health answers everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar.testing import AsyncTestClient
from stelly_platform.app import create_app

from .conftest import CONSOLE, Admin, Client

if TYPE_CHECKING:
    from stelly_core.settings import Settings


async def test_the_console_api_on_a_tenant_host_is_not_found(client: Client, admin: Admin) -> None:
    for host in ("pizza.localhost", "localhost", "shop.example.com", "console.example.com"):
        response = await client.get(
            "/api/v1/platform/tenants",
            headers={"host": host, "authorization": f"Bearer {admin.token}"},
        )
        assert response.status_code == 404, (host, response.text)
        assert response.json()["code"] == "not_found"
    login = await client.post(
        "/api/v1/platform/auth/token",
        json={"email": admin.email, "password": "x"},
        headers={"host": "pizza.localhost"},
    )
    assert login.status_code == 404
    assert login.json()["code"] == "not_found"


async def test_the_console_host_with_a_port_is_the_console(client: Client, admin: Admin) -> None:
    response = await client.get(
        "/api/v1/platform/tenants?limit=1",
        headers={"host": "Console.Localhost:8080", "authorization": f"Bearer {admin.token}"},
    )
    assert response.status_code == 200, response.text


async def test_health_answers_on_any_host(client: Client) -> None:
    for host in ("pizza.localhost", "console.localhost"):
        assert (await client.get("/healthz", headers={"host": host})).status_code == 200
        assert (await client.get("/readyz", headers={"host": host})).status_code == 200


async def test_behind_front_door_the_edge_header_names_the_host(settings: Settings) -> None:
    fdid = "fd-platform-test"
    app = create_app(settings.model_copy(update={"frontdoor_id": fdid}), environ={})
    async with AsyncTestClient(app) as c:
        # not through our Front Door: refused before anything else
        bare = await c.get("/api/v1/platform/tenants", headers=CONSOLE)
        assert bare.status_code == 403 and bare.json()["code"] == "frontdoor_mismatch"
        # through it, Host is the app's own FQDN and X-Tenant-Host the console
        through = await c.get(
            "/api/v1/platform/tenants",
            headers={
                "host": "platform.internal.azurecontainerapps.io",
                "x-azure-fdid": fdid,
                "x-tenant-host": "console.localhost",
            },
        )
        assert through.status_code == 401  # past the host gate, at the token check
        assert through.json()["code"] == "not_authenticated"
        tenant = await c.get(
            "/api/v1/platform/tenants",
            headers={"host": "x", "x-azure-fdid": fdid, "x-tenant-host": "pizza.localhost"},
        )
        assert tenant.status_code == 404
        assert tenant.json()["code"] == "not_found"


async def test_metrics_answer_on_any_host(client: Client) -> None:
    response = await client.get("/metrics", headers={"host": "10.0.0.1"})
    assert response.status_code == 200
