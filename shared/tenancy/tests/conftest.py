from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_core.redis import connect_redis
from stelly_tenancy.models import Tenant
from stelly_tenancy.provisioning import NewTenant, create_tenant

MakeTenant = Callable[..., Awaitable[Tenant]]


@pytest.fixture(scope="session")
def hasher() -> PasswordHashing:
    return PasswordHashing()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = connect_redis(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def make_tenant(db: Database, unique_slug: str, hasher: PasswordHashing) -> MakeTenant:
    """Provision a tenant with a fresh slug (suffix ``-a``, ``-b``... for more)."""
    counter = iter(range(1000))

    async def make(**overrides: Any) -> Tenant:
        slug = overrides.pop("slug", f"{unique_slug}-{next(counter)}")
        spec = NewTenant(slug=slug, name=overrides.pop("name", slug.title()), **overrides)
        return await create_tenant(db, spec, hasher=hasher)

    return make
