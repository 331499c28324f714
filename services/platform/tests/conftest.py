"""Fixtures of the platform service's tests: the app on the session's PostgreSQL and Valkey.

DNS and Azure Front Door cannot be reached from a test: :class:`FakeDns`
answers TXT lookups from a dict, and :class:`FakeCdnClient` stands in for
``azure.mgmt.cdn.aio.CdnManagementClient`` (recording every call). Everything
else (the database, Redis, argon2, the tokens) is real.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_core.settings import Settings
from stelly_platform.app import create_app
from stelly_tenancy.invalidation import InvalidationListener
from stelly_tenancy.models import Tenant
from stelly_tenancy.platform_admins import create_platform_admin
from stelly_tenancy.resolution import TenantResolver

Client = AsyncTestClient[Litestar]
CONSOLE = {"host": "console.localhost"}
ADMIN_PASSWORD = "console-admin-password"


class FakeDns:
    """TXT answers from a dict: name -> strings, or an exception to raise (DNS is not reachable here)."""

    def __init__(self) -> None:
        self.records: dict[str, list[str] | Exception] = {}
        self.asked: list[str] = []

    async def txt(self, name: str) -> list[str]:
        self.asked.append(name)
        answer = self.records.get(name, [])
        if isinstance(answer, Exception):
            raise answer
        return list(answer)


@pytest.fixture(scope="session")
def hasher() -> PasswordHashing:
    # cheap parameters; argon2 verifies with the parameters stored in each hash
    return PasswordHashing(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def fake_dns() -> FakeDns:
    return FakeDns()


@pytest.fixture(scope="session")
async def client(
    settings: Settings, fake_dns: FakeDns, hasher: PasswordHashing
) -> AsyncIterator[Client]:
    app = create_app(settings, environ={}, dns=fake_dns, hasher=hasher)
    async with AsyncTestClient(app) as c:
        yield c


@dataclass
class Admin:
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {**CONSOLE, "authorization": f"Bearer {self.token}"}


async def console_login(client: Client, email: str, password: str) -> str:
    response = await client.post(
        "/api/v1/platform/auth/token", json={"email": email, "password": password}, headers=CONSOLE
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture(scope="session")
async def admin(client: Client, db: Database, hasher: PasswordHashing) -> Admin:
    email = f"admin-{secrets.token_hex(4)}@stelly.example"
    await create_platform_admin(db, email, ADMIN_PASSWORD, hasher)
    return Admin(email, await console_login(client, email, ADMIN_PASSWORD))


@pytest.fixture
def new_slug() -> Callable[[], str]:
    return lambda: "p" + secrets.token_hex(5)


@dataclass
class FakePoller:
    value: Any = None

    async def result(self) -> Any:
        return self.value


class _Model(dict[str, Any]):
    """A stand-in for the SDK's models: attribute access over a dict."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class FakeCdnClient:
    """``CdnManagementClient`` (aio) as far as :class:`AzureFrontDoor` uses it, recording calls.

    Azure cannot be reached from a test; this keeps custom domains and each
    route's list of domain ids in memory, and refuses (like Front Door) to
    delete a domain a route still uses.
    """

    def __init__(self, route_domains: dict[str, list[str]]) -> None:
        self.route_domains = route_domains
        self.domains: dict[str, Any] = {}
        self.calls: list[tuple[str, ...]] = []
        self.fail = False
        self.afd_custom_domains = _Domains(self)
        self.routes = _Routes(self)

    async def close(self) -> None:
        self.calls.append(("close",))


class _Domains:
    def __init__(self, owner: FakeCdnClient) -> None:
        self.owner = owner

    def _id(self, group: str, profile: str, name: str) -> str:
        return (
            f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{group}"
            f"/providers/Microsoft.Cdn/profiles/{profile}/customDomains/{name}"
        )

    async def begin_create(self, group: str, profile: str, name: str, body: Any) -> FakePoller:
        from azure.core.exceptions import HttpResponseError

        props = body.properties
        self.owner.calls.append(
            (
                "create_domain",
                name,
                props.host_name,
                # the wire values, as the SDK serialises them
                dict(body)["properties"]["tlsSettings"]["certificateType"],
                dict(body)["properties"]["tlsSettings"]["minimumTlsVersion"],
            )
        )
        if self.owner.fail:
            raise HttpResponseError(message="Front Door said no")
        created = _Model(
            id=self._id(group, profile, name),
            host_name=props.host_name,
            domain_validation_state="Pending",
            deployment_status="NotStarted",
            validation_properties=_Model(validation_token=f"afd-token-{name}"),
        )
        self.owner.domains[name] = created
        return FakePoller(created)

    async def get(self, group: str, profile: str, name: str) -> Any:
        from azure.core.exceptions import ResourceNotFoundError

        self.owner.calls.append(("get_domain", name))
        if name not in self.owner.domains:
            raise ResourceNotFoundError(message="not found")
        return self.owner.domains[name]

    async def begin_delete(self, group: str, profile: str, name: str) -> FakePoller:
        from azure.core.exceptions import ResourceNotFoundError

        self.owner.calls.append(("delete_domain", name))
        for ids in self.owner.route_domains.values():
            if any(i.endswith(f"/customDomains/{name}") for i in ids):
                raise AssertionError("Front Door refuses to delete a domain a route still uses")
        if self.owner.domains.pop(name, None) is None:
            raise ResourceNotFoundError(message="not found")
        return FakePoller(None)


class _Routes:
    def __init__(self, owner: FakeCdnClient) -> None:
        self.owner = owner

    async def get(self, group: str, profile: str, endpoint: str, name: str) -> Any:
        self.owner.calls.append(("get_route", endpoint, name))
        ids = self.owner.route_domains[name]
        return _Model(custom_domains=[_Model(id=i) for i in ids])

    async def begin_update(
        self, group: str, profile: str, endpoint: str, name: str, body: Any
    ) -> FakePoller:
        ids = [ref.id for ref in body.properties.custom_domains]
        self.owner.calls.append(("update_route", endpoint, name, *ids))
        self.owner.route_domains[name] = ids
        return FakePoller(None)


@dataclass
class Replica:
    """A tenant service replica's view of the registry: a cached resolver kept fresh by Redis."""

    resolver: TenantResolver

    async def eventually(
        self, host: str, wanted: Callable[[Tenant | None], bool], seconds: float = 5.0
    ) -> Tenant | None:
        """What ``host`` resolves to once ``wanted`` holds (fails after ``seconds``)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            tenant = await self.resolver.resolve(host)
            if wanted(tenant):
                return tenant
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{host} still resolves to {tenant!r}")
            await asyncio.sleep(0.05)


@pytest.fixture
async def replica(db: Database, settings: Settings, redis: Redis) -> AsyncIterator[Replica]:
    """A resolver with a 300 s TTL: only the published invalidation can make it see a change."""
    resolver = TenantResolver(db.pool, settings.base_domain, ttl=300)
    listener = InvalidationListener(redis, resolver.clear)
    listener.start()
    await asyncio.sleep(0.2)  # subscribed before the test changes anything
    yield Replica(resolver)
    await listener.stop()
