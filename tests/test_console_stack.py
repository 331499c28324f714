"""The platform console through the stack `make run` starts (``stelly dev``), gateway only.

Real processes: embedded PostgreSQL and Valkey, every service (platform
included) and the gateway, on free ports. The console is reached as
``console.localhost``; its admin is the one ``stelly dev`` seeds. A
``*.localhost`` domain needs no DNS in development, so nothing here is faked.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from stelly_cli.devstack import running_stack
from stelly_cli.platform_admin import DEV_ADMIN_EMAIL
from stelly_cli.seed import DEMO_PASSWORD


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_stack(tmp_path_factory.mktemp("console-stack")) as running:
        yield {"port": running.ports["gateway"], "base": running.gateway}


@pytest.fixture
async def http(stack: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack["base"], timeout=30) as client:
        yield client


async def _until(check: Any, seconds: float = 10.0) -> httpx.Response:
    """The response of ``check()`` once its flag is true, or the last one after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response, ok = await check()
        if ok or asyncio.get_running_loop().time() > deadline:
            return response  # type: ignore[no-any-return]
        await asyncio.sleep(0.2)


async def test_the_console_through_the_gateway(
    stack: dict[str, Any], http: httpx.AsyncClient
) -> None:
    port = stack["port"]
    console = {"host": f"console.localhost:{port}"}
    login = await http.post(
        "/api/v1/platform/auth/token",
        headers=console,
        json={"email": DEV_ADMIN_EMAIL, "password": DEMO_PASSWORD},
    )
    assert login.status_code == 200, login.text
    admin = console | {"authorization": f"Bearer {login.json()['access_token']}"}

    tenants = await http.get("/api/v1/platform/tenants", headers=admin)
    assert tenants.status_code == 200, tenants.text
    assert {"pizza", "burger"} <= {t["slug"] for t in tenants.json()["items"]}

    # attackers: a tenant owner's token on the console, the console's token on a tenant
    owner = await http.post(
        "/api/v1/auth/token",
        headers={"host": f"pizza.localhost:{port}"},
        json={"email": "owner@pizza.demo", "password": DEMO_PASSWORD},
    )
    assert owner.status_code == 200, owner.text
    owner_token = owner.json()["access_token"]
    refused = await http.get(
        "/api/v1/platform/tenants", headers=console | {"authorization": f"Bearer {owner_token}"}
    )
    assert refused.status_code in (401, 403)
    on_tenant = await http.get(
        "/api/v1/admin/users",
        headers={"host": f"pizza.localhost:{port}", "authorization": admin["authorization"]},
    )
    assert on_tenant.status_code in (401, 403)
    # the console API on a tenant's host is nobody's; console.localhost is no tenant
    elsewhere = await http.get(
        "/api/v1/platform/tenants",
        headers={"host": f"pizza.localhost:{port}"} | {"authorization": admin["authorization"]},
    )
    assert elsewhere.status_code == 404
    no_store = await http.get("/api/v1/store", headers={"host": f"console.localhost:{port}"})
    assert '"slug"' not in no_store.text, "the console host reached a store"

    # a tenant and its *.localhost domain, verified at once in development
    slug = "taco" + secrets.token_hex(3)
    created = await http.post(
        "/api/v1/platform/tenants", headers=admin, json={"slug": slug, "name": "Taco Town"}
    )
    assert created.status_code == 201, created.text
    domain = f"{slug}-town.localhost"
    domains = f"/api/v1/platform/tenants/{slug}/domains"
    added = await http.post(domains, headers=admin, json={"domain": domain})
    assert added.status_code == 201 and added.json()["status"] == "pending"
    verified = await http.post(f"{domains}/{domain}/verify", headers=admin)
    assert verified.json()["status"] == "verified", verified.text
    shop = {"host": f"{domain}:{port}"}

    async def store() -> tuple[httpx.Response, bool]:
        response = await http.get("/api/v1/store", headers=shop)
        return response, response.status_code == 200

    served = await _until(store)
    assert served.status_code == 200, served.text
    assert served.json()["slug"] == slug

    removed = await http.delete(f"{domains}/{domain}", headers=admin)
    assert removed.status_code == 204

    async def gone() -> tuple[httpx.Response, bool]:
        response = await http.get("/api/v1/store", headers=shop)
        return response, response.status_code == 404

    stopped = await _until(gone)
    assert stopped.status_code == 404 and stopped.json()["code"] == "tenant_not_found"
