"""The staff check behind every staff route: the live row decides, on every request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar, Request, get
from litestar.testing import AsyncTestClient
from stelly_core.auth import issue_token
from stelly_core.db import Database
from stelly_core.settings import Settings
from stelly_tenancy.models import Tenant
from stelly_tenancy.plugin import TenancyPlugin
from stelly_tenancy.staff import ANY_STAFF, OWNERS, current_staff, live_token_versions, staff_guard

from .conftest import MakeTenant


def build_app(settings: Settings) -> Litestar:
    @get("/staff", guards=[staff_guard(ANY_STAFF)])
    async def any_staff(request: Request[Any, Any, Any]) -> dict[str, Any]:
        staff = current_staff(request)
        return {"id": staff.id, "role": staff.role}

    @get("/owners", guards=[staff_guard(OWNERS)])
    async def owners_only() -> dict[str, bool]:
        return {"ok": True}

    return Litestar([any_staff, owners_only], plugins=[TenancyPlugin(settings)])


@pytest.fixture
async def two_replicas(settings: Settings) -> AsyncIterator[list[AsyncTestClient[Litestar]]]:
    async with (
        AsyncTestClient(build_app(settings)) as one,
        AsyncTestClient(build_app(settings)) as two,
    ):
        yield [one, two]


async def add_user(db: Database, tenant: Tenant, role: str) -> int:
    async with db.tenant(tenant.schema) as conn:
        user_id: int = await conn.fetchval(
            "INSERT INTO staff_users (email, password_hash, role) VALUES ($1, 'x', $2)"
            " RETURNING id",
            f"{role}@{tenant.slug}.example",
            role,
        )
    return user_id


def headers(tenant: Tenant, settings: Settings, user_id: int, **claims: Any) -> dict[str, str]:
    token = issue_token(
        claims.pop("secret", settings.secret_key),
        tenant_id=claims.pop("tenant_id", tenant.id),
        subject=str(user_id),
        kind=claims.pop("kind", "staff"),
        ttl_seconds=claims.pop("ttl_seconds", 600),
        **claims,
    )
    return {"host": f"{tenant.slug}.localhost", "authorization": f"Bearer {token}"}


async def test_disabling_or_a_new_token_version_stops_tokens_on_every_replica(
    two_replicas: list[AsyncTestClient[Litestar]],
    make_tenant: MakeTenant,
    db: Database,
    settings: Settings,
) -> None:
    tenant = await make_tenant()
    cook = await add_user(db, tenant, "staff")
    good = headers(tenant, settings, cook, version=0)
    for replica in two_replicas:
        response = await replica.get("/staff", headers=good)
        assert response.json() == {"id": cook, "role": "staff"}
    assert (await two_replicas[0].get("/owners", headers=good)).status_code == 403
    # a password reset bumps the version: tokens of the old one are refused at once
    async with db.tenant(tenant.schema) as conn:
        await conn.execute("UPDATE staff_users SET token_version = 1 WHERE id = $1", cook)
    for replica in two_replicas:
        refused = await replica.get("/staff", headers=good)
        assert refused.status_code == 401
        assert refused.json()["code"] == "invalid_token"
    newer = headers(tenant, settings, cook, version=1)
    assert (await two_replicas[1].get("/staff", headers=newer)).status_code == 200
    assert await live_token_versions(db, tenant.schema, [cook, 999]) == {cook: 1}
    # disabled: refused everywhere, whatever the version
    async with db.tenant(tenant.schema) as conn:
        await conn.execute("UPDATE staff_users SET active = false WHERE id = $1", cook)
    for replica in two_replicas:
        assert (await replica.get("/staff", headers=newer)).status_code == 401
    assert await live_token_versions(db, tenant.schema, [cook]) == {}


async def test_tokens_of_another_kind_tenant_or_key_are_refused(
    two_replicas: list[AsyncTestClient[Litestar]],
    make_tenant: MakeTenant,
    db: Database,
    settings: Settings,
) -> None:
    client = two_replicas[0]
    tenant, other = await make_tenant(), await make_tenant()
    owner = await add_user(db, tenant, "owner")
    assert (
        await client.get("/owners", headers=headers(tenant, settings, owner))
    ).status_code == 200
    wrong_tenant = await client.get(
        "/staff", headers=headers(tenant, settings, owner, tenant_id=other.id)
    )
    assert wrong_tenant.status_code == 403
    assert wrong_tenant.json()["code"] == "token_wrong_tenant"
    for bad in (
        headers(tenant, settings, owner, kind="invite", nonce="n"),
        headers(tenant, settings, owner, kind="reset", nonce="n"),
        headers(tenant, settings, owner, kind="order"),
        headers(tenant, settings, owner, ttl_seconds=-5),
        headers(tenant, settings, owner, secret="another-key-that-is-long-enough-0123456789"),
        headers(tenant, settings, 424242),
    ):
        response = await client.get("/staff", headers=bad)
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid_token"
