"""Tenant resolution through the real middleware, database and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar, Request, get, websocket
from litestar.connection import WebSocket
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from stelly_core.db import Database
from stelly_core.settings import Settings
from stelly_tenancy.middleware import client_ip
from stelly_tenancy.models import Tenant, TenantStatus
from stelly_tenancy.plugin import TenancyPlugin
from stelly_tenancy.provisioning import set_tenant_status

from .conftest import MakeTenant

FDID = "5e11a000-0000-4000-8000-00000000fd1d"


def build_app(settings: Settings) -> Litestar:
    @get("/api/v1/whoami")
    async def whoami(
        tenant: NamedDependency[Tenant],
        db: NamedDependency[Database],
        request: Request[Any, Any, Any],
    ) -> dict[str, Any]:
        async with db.tenant(tenant.schema) as conn:
            emails = [r["email"] for r in await conn.fetch("SELECT email FROM staff_users")]
        return {"slug": tenant.slug, "emails": emails, "client_ip": client_ip(request)}

    @websocket("/ws/v1")
    async def ws(socket: WebSocket[Any, Any, Any], tenant: NamedDependency[Tenant]) -> None:
        await socket.accept()
        await socket.send_json({"tenant": tenant.slug})
        await socket.close()

    return Litestar([whoami, ws], plugins=[TenancyPlugin(settings)])


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(build_app(settings)) as c:
        yield c


@pytest.fixture
async def fd_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    fd_settings = settings.model_copy(update={"frontdoor_id": FDID})
    async with AsyncTestClient(build_app(fd_settings)) as c:
        yield c


async def test_slug_host_resolves_with_its_own_rows(
    client: AsyncTestClient[Litestar], make_tenant: MakeTenant
) -> None:
    a = await make_tenant(owner_email="a@a.example", owner_password="password-a")
    b = await make_tenant(owner_email="b@b.example", owner_password="password-b")
    for tenant, email in ((a, "a@a.example"), (b, "b@b.example")):
        response = await client.get("/api/v1/whoami", headers={"host": f"{tenant.slug}.localhost"})
        assert response.status_code == 200
        assert response.json()["slug"] == tenant.slug
        assert response.json()["emails"] == [email]


@pytest.mark.parametrize(
    "variant", ["{s}.LOCALHOST", "{s}.localhost:8080", "{s}.localhost.", "{S}.Localhost.:443"]
)
async def test_host_variants_resolve(
    client: AsyncTestClient[Litestar], make_tenant: MakeTenant, variant: str
) -> None:
    tenant = await make_tenant()
    host = variant.format(s=tenant.slug, S=tenant.slug.upper())
    response = await client.get("/api/v1/whoami", headers={"host": host})
    assert response.status_code == 200
    assert response.json()["slug"] == tenant.slug


@pytest.mark.parametrize(
    ("host", "status", "code"),
    [
        ("nosuchtenant.localhost", 404, "tenant_not_found"),
        ("localhost", 404, "tenant_not_found"),
        ("www.localhost", 404, "tenant_not_found"),
        ("a.b.localhost", 404, "tenant_not_found"),
        ("xn--bcher-kva.localhost", 404, "tenant_not_found"),
        ("evil.example.com", 404, "tenant_not_found"),
        ("", 400, "invalid_host"),
        ("x" * 10_000, 400, "invalid_host"),
        ("'; DROP TABLE tenants; --", 400, "invalid_host"),
        ("127.0.0.1:8080", 400, "invalid_host"),
    ],
)
async def test_unknown_and_garbage_hosts_are_refused_as_problems(
    client: AsyncTestClient[Litestar], host: str, status: int, code: str
) -> None:
    response = await client.get("/api/v1/whoami", headers={"host": host})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert response.json()["status"] == status


async def test_custom_domain_resolves(
    client: AsyncTestClient[Litestar], make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant(domains=["Order.Mamma-Mia.example."], schema=None)
    response = await client.get("/api/v1/whoami", headers={"host": "order.mamma-mia.example"})
    assert response.status_code == 200
    assert response.json()["slug"] == tenant.slug


async def test_suspended_tenant_is_refused(
    client: AsyncTestClient[Litestar], make_tenant: MakeTenant, db: Database, redis: Redis
) -> None:
    tenant = await make_tenant()
    await set_tenant_status(db, tenant.slug, TenantStatus.SUSPENDED, redis=redis)
    await _eventually_status(client, tenant.slug, 403)
    response = await client.get("/api/v1/whoami", headers={"host": f"{tenant.slug}.localhost"})
    assert response.json()["code"] == "tenant_suspended"


async def test_spoofed_edge_headers_without_frontdoor_are_ignored(
    client: AsyncTestClient[Litestar], make_tenant: MakeTenant
) -> None:
    victim, attacker = await make_tenant(), await make_tenant()
    response = await client.get(
        "/api/v1/whoami",
        headers={
            "host": f"{attacker.slug}.localhost",
            "x-tenant-host": f"{victim.slug}.localhost",
            "x-azure-fdid": FDID,
            "x-azure-clientip": "198.51.100.1",
        },
    )
    assert response.status_code == 200
    assert response.json()["slug"] == attacker.slug
    assert response.json()["client_ip"] != "198.51.100.1"


async def test_frontdoor_gate_refuses_before_anything_else(
    fd_client: AsyncTestClient[Litestar], make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    for fdid in (None, "wrong", FDID.upper()):
        headers = {"host": f"{tenant.slug}.localhost"}
        if fdid is not None:
            headers["x-azure-fdid"] = fdid
        response = await fd_client.get("/api/v1/whoami", headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "frontdoor_mismatch"
    # even for a host that names no tenant: nothing is revealed about tenants
    response = await fd_client.get("/api/v1/whoami", headers={"host": "nosuch.localhost"})
    assert response.json()["code"] == "frontdoor_mismatch"


async def test_through_frontdoor_tenant_host_and_client_ip_are_used(
    fd_client: AsyncTestClient[Litestar], make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    response = await fd_client.get(
        "/api/v1/whoami",
        headers={
            "host": "stelly-menu.azurecontainerapps.io",
            "x-tenant-host": f"{tenant.slug}.localhost",
            "x-azure-fdid": FDID,
            "x-azure-clientip": "198.51.100.1",
        },
    )
    assert response.status_code == 200
    assert response.json() == {"slug": tenant.slug, "emails": [], "client_ip": "198.51.100.1"}


async def test_health_routes_are_exempt(fd_client: AsyncTestClient[Litestar]) -> None:
    assert (await fd_client.get("/healthz", headers={"host": "garbage"})).status_code == 200
    ready = await fd_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def test_websocket_handshake_is_tenant_scoped(
    client: AsyncTestClient[Litestar], make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    ws = await client.websocket_connect("/ws/v1", headers={"host": f"{tenant.slug}.localhost"})
    with ws:
        assert ws.receive_json() == {"tenant": tenant.slug}


async def test_websocket_handshake_for_unknown_host_is_refused(
    client: AsyncTestClient[Litestar],
) -> None:
    ws = await client.websocket_connect("/ws/v1", headers={"host": "nosuch.localhost"})
    with pytest.raises(WebSocketDisconnect) as refused, ws:
        ws.receive_json()
    assert refused.value.code == 1008
    assert refused.value.detail == "tenant_not_found"


async def test_tenant_change_reaches_another_replica_through_redis(
    settings: Settings, make_tenant: MakeTenant, db: Database, redis: Redis
) -> None:
    tenant = await make_tenant()
    replica = build_app(settings)
    async with AsyncTestClient(replica) as other:
        listener = replica.state["context"].listener
        for _ in range(200):  # the app runs on the test client's own loop: poll
            if listener.subscribed.is_set():
                break
            await asyncio.sleep(0.01)
        assert listener.subscribed.is_set()
        host = {"host": f"{tenant.slug}.localhost"}
        assert (await other.get("/api/v1/whoami", headers=host)).status_code == 200
        # the 30 s TTL of the test settings would keep this entry; only Redis can clear it
        await set_tenant_status(db, tenant.slug, TenantStatus.SUSPENDED, redis=redis)
        await _eventually_status(other, tenant.slug, 403)
        await set_tenant_status(db, tenant.slug, TenantStatus.ACTIVE, redis=redis)
        await _eventually_status(other, tenant.slug, 200)


async def _eventually_status(client: AsyncTestClient[Litestar], slug: str, status: int) -> None:
    seen = None
    for _ in range(100):
        seen = (
            await client.get("/api/v1/whoami", headers={"host": f"{slug}.localhost"})
        ).status_code
        if seen == status:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{slug} still answers {seen}, expected {status}")
