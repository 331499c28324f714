from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_core.events import OutboxRelay, channel_key
from stelly_core.settings import Settings
from stelly_menu.app import create_app
from stelly_tenancy.models import Tenant
from stelly_tenancy.provisioning import NewTenant, create_tenant

Client = AsyncTestClient[Litestar]
OWNER_PASSWORD = "owner-password"


@dataclass(frozen=True)
class Store:
    """A provisioned tenant, its host header and an owner token."""

    tenant: Tenant
    owner_email: str
    token: str

    @property
    def host(self) -> dict[str, str]:
        return {"host": f"{self.tenant.slug}.localhost"}

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {**self.host, "authorization": f"Bearer {token or self.token}"}


MakeStore = Callable[..., Awaitable[Store]]


@pytest.fixture(scope="session")
def hasher() -> PasswordHashing:
    # Cheap parameters for the owners tests create; argon2 verifies with the
    # parameters stored in each hash, so logins stay real and fast.
    return PasswordHashing(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
async def client(settings: Settings) -> AsyncIterator[Client]:
    # No relay here: tests that want events relayed ask for ``relay``, and the
    # Redis-outage test must be the only one moving its events.
    async with AsyncTestClient(create_app(settings, relay=False)) as c:
        yield c


@pytest.fixture
async def relay(db: Database, redis: Redis) -> AsyncIterator[OutboxRelay]:
    """The outbox relay, running towards the session's Redis for one test."""
    running = OutboxRelay(db, redis, interval=0.1)
    running.start()
    yield running
    await running.stop()


async def stream_events(
    redis: Redis, tenant_id: int, channel: str, wanted: int
) -> list[tuple[str, dict[str, Any]]]:
    """The channel's events once at least ``wanted`` are there (or all there are after ~10 s)."""
    key = channel_key(tenant_id, channel)
    for _ in range(200):
        entries = await redis.xrange(key)
        if len(entries) >= wanted:
            break
        await asyncio.sleep(0.05)
    return [(f[b"type"].decode(), json.loads(f[b"data"])) for _, f in entries]


async def login(client: Client, host: dict[str, str], email: str, password: str) -> str:
    response = await client.post(
        "/api/v1/auth/token", json={"email": email, "password": password}, headers=host
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def make_store(client: Client, db: Database, hasher: PasswordHashing) -> MakeStore:
    """Provision a tenant with an owner and log the owner in."""

    async def make(**overrides: Any) -> Store:
        slug = overrides.pop("slug", "m" + secrets.token_hex(5))
        email = f"owner@{slug}.example"
        spec = NewTenant(
            slug=slug,
            name=overrides.pop("name", slug.title()),
            owner_email=email,
            owner_password=OWNER_PASSWORD,
            **overrides,
        )
        tenant = await create_tenant(db, spec, hasher=hasher)
        host = {"host": f"{slug}.localhost"}
        return Store(tenant, email, await login(client, host, email, OWNER_PASSWORD))

    return make


@pytest.fixture(scope="session")
async def shared_store(settings: Settings, db: Database, hasher: PasswordHashing) -> Store:
    """One store for tests that only read or are refused (fewer tenants, faster)."""
    slug = "m" + secrets.token_hex(5)
    email = f"owner@{slug}.example"
    spec = NewTenant(slug=slug, name="Shared", owner_email=email, owner_password=OWNER_PASSWORD)
    tenant = await create_tenant(db, spec, hasher=hasher)
    async with AsyncTestClient(create_app(settings, relay=False)) as c:
        token = await login(c, {"host": f"{slug}.localhost"}, email, OWNER_PASSWORD)
    return Store(tenant, email, token)


async def add_staff(client: Client, store: Store, role: str) -> str:
    """Create a user with ``role`` through the API and return their token."""
    email = f"{role}-{secrets.token_hex(3)}@{store.tenant.slug}.example"
    response = await client.post(
        "/api/v1/admin/users",
        json={"email": email, "password": "staff-password", "role": role},
        headers=store.auth(),
    )
    assert response.status_code == 201, response.text
    return await login(client, store.host, email, "staff-password")


SIMPLE_ITEM: dict[str, Any] = {"name": "Fries", "price": 400, "tags": ["vegan"]}
PIZZA_ITEM: dict[str, Any] = {
    "name": "Margherita",
    "description": "Tomato, mozzarella",
    "price": 900,
    "modifier_groups": [
        {
            "name": "Size",
            "min": 1,
            "max": 1,
            "options": [{"name": "Regular"}, {"name": "Large", "price": 300}],
        },
        {
            "name": "Extras",
            "min": 0,
            "max": 2,
            "options": [
                {"name": "Olives", "price": 100},
                {"name": "Basil", "price": 50},
                {"name": "Chili", "price": 70},
            ],
        },
    ],
}


async def add_category(client: Client, store: Store, name: str = "Mains") -> dict[str, Any]:
    response = await client.post(
        "/api/v1/admin/categories", json={"name": name}, headers=store.auth()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_item(
    client: Client, store: Store, category_id: int, item: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/admin/items", json={**item, "category_id": category_id}, headers=store.auth()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def insert_image(db: Database, store: Store, status: str = "ready") -> str:
    """An image row as the media service leaves it (the media API is another service)."""
    image_id = str(uuid.uuid4())
    async with db.tenant(store.tenant.schema) as conn:
        await conn.execute(
            "INSERT INTO images (id, status, format, width, height, byte_size)"
            " VALUES ($1, $2, 'jpeg', 2000, 1500, 1000)",
            uuid.UUID(image_id),
            status,
        )
    return image_id
