"""Realtime test fixtures: tenants, tokens, a real uvicorn server, WebSocket clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from argon2 import PasswordHasher
from stelly_core.auth import PasswordHashing, issue_token
from stelly_core.db import Database
from stelly_core.localstack import free_port
from stelly_core.settings import Settings
from stelly_realtime.app import create_app
from stelly_realtime.config import RealtimeConfig
from stelly_realtime.server import uvicorn_config
from stelly_realtime.service import RealtimeService
from stelly_tenancy.models import Tenant
from stelly_tenancy.provisioning import NewTenant, create_tenant
from websockets.asyncio.client import ClientConnection, connect

MakeTenant = Callable[..., Awaitable[Tenant]]
TIMEOUT = 10.0  # only stops a hung test


@pytest.fixture
def make_tenant(db: Database, unique_slug: str) -> MakeTenant:
    """As the root fixture, but every tenant has an owner (staff user 1), so that
    :func:`staff_token` names a real, active user (the kitchen checks it)."""
    counter = iter(range(1000))
    hasher = PasswordHashing(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

    async def make(**overrides: Any) -> Tenant:
        slug = overrides.pop("slug", f"{unique_slug}-{next(counter)}")
        overrides.setdefault("owner_email", f"owner@{slug}.example")
        overrides.setdefault("owner_password", "owner-password")
        spec = NewTenant(slug=slug, name=overrides.pop("name", slug.title()), **overrides)
        return await create_tenant(db, spec, hasher=hasher)

    return make


def staff_token(settings: Settings, tenant: Tenant, role: str = "staff") -> str:
    return issue_token(
        settings.secret_key,
        tenant_id=tenant.id,
        subject="1",
        kind="staff",
        role=role,
        ttl_seconds=600,
    )


def order_token(settings: Settings, tenant: Tenant, order_id: int) -> str:
    return issue_token(
        settings.secret_key,
        tenant_id=tenant.id,
        subject=str(order_id),
        kind="order",
        ttl_seconds=600,
    )


@dataclass
class Server:
    port: int
    service: RealtimeService

    async def connect(self, tenant: Tenant | str, **options: Any) -> ClientConnection:
        host = tenant if isinstance(tenant, str) else f"{tenant.slug}.localhost"
        return await ws_connect(self.port, host, **options)


async def ws_connect(port: int, host: str, **options: Any) -> ClientConnection:
    """A client for ``/ws/v1`` of the tenant at ``host`` on a local port."""
    return await asyncio.wait_for(
        connect(
            f"ws://{host}:{port}/ws/v1",
            host="127.0.0.1",
            port=port,
            compression=None,
            open_timeout=TIMEOUT,
            **options,
        ),
        TIMEOUT,
    )


async def recv(ws: ClientConnection) -> dict[str, Any]:
    frame = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert isinstance(frame, str)
    decoded: dict[str, Any] = json.loads(frame)
    return decoded


async def send(ws: ClientConnection, **command: Any) -> None:
    await ws.send(json.dumps(command))


async def subscribe(ws: ClientConnection, channel: str, **extra: Any) -> dict[str, Any]:
    await send(ws, op="subscribe", channel=channel, **extra)
    return await recv(ws)


async def assert_quiet(ws: ClientConnection, seconds: float = 0.3) -> None:
    """Nothing arrives for a while (used only to prove an absence)."""
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), seconds)


async def start_server(settings: Settings, config: RealtimeConfig) -> tuple[uvicorn.Server, Server]:
    app = create_app(settings, config=config)
    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, config, host="127.0.0.1", port=port))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
    task = asyncio.get_running_loop().create_task(server.serve())
    server._test_task = task  # type: ignore[attr-defined]
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, "the realtime server did not start"
    return server, Server(port, app.state["realtime"])


async def stop_server(server: uvicorn.Server) -> None:
    server.should_exit = True
    await asyncio.wait_for(server._test_task, TIMEOUT)  # type: ignore[attr-defined]


@pytest.fixture
async def realtime(settings: Settings) -> AsyncIterator[Server]:
    """A real uvicorn server with the realtime app, in this test's loop."""
    uv, server = await start_server(
        settings, RealtimeConfig(max_subscriptions=4, max_backlog=16, expiry_sweep=0.1)
    )
    yield server
    await stop_server(uv)
