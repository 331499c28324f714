"""A disabled staff user's kitchen: refused at subscribe, and live subscriptions end.

At once, through the revocation notice the menu service publishes when the
owner disables the account or resets its password (the menu runs as a
process of its own; two in-process realtime apps stand for two replicas,
their sweep set to an hour so that it cannot be what ends anything), on
standalone and on cluster-mode Valkey; or, without a notice, at the next
sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from stelly_core.auth import issue_token
from stelly_core.db import Database
from stelly_core.events import publish_event
from stelly_core.localstack import free_port
from stelly_core.redis import connect_redis
from stelly_core.settings import Settings
from stelly_realtime.config import RealtimeConfig
from stelly_tenancy.invalidation import publish_staff_revoked
from stelly_tenancy.models import Tenant
from websockets.asyncio.client import ClientConnection

from .conftest import (
    TIMEOUT,
    MakeTenant,
    Server,
    assert_quiet,
    recv,
    start_server,
    stop_server,
    subscribe,
)
from .test_processes import _healthy, _process

OWNER_PASSWORD = "owner-password"  # the realtime make_tenant's
STAFF_PASSWORD = "staff-password-123"
#: the sweep must not be what ends a subscription in these tests
NO_SWEEP = RealtimeConfig(expiry_sweep=3600)
#: the issue's "at once": the error frame is there this soon after the answer to the disable
AT_ONCE = 1.0
INVALID = {"op": "error", "channel": "kitchen", "code": "invalid_token"}


async def test_a_disabled_users_kitchen_is_refused_and_ended(
    realtime: Server, make_tenant: MakeTenant, settings: Settings, db: Database, redis: Redis
) -> None:
    tenant = await make_tenant()
    async with db.tenant(tenant.schema) as conn:
        cook = await conn.fetchval(
            "INSERT INTO staff_users (email, password_hash, role) VALUES ('cook@x.example', 'x',"
            " 'staff') RETURNING id"
        )

    def token(version: int = 0) -> str:
        return issue_token(
            settings.secret_key,
            tenant_id=tenant.id,
            subject=str(cook),
            kind="staff",
            ttl_seconds=600,
            version=version,
        )

    async with await realtime.connect(tenant) as live, await realtime.connect(tenant) as order_ws:
        assert (await subscribe(live, "kitchen", token=token()))["op"] == "subscribed"
        assert (await subscribe(order_ws, "order:5", token=token()))["op"] == "subscribed"
        # disabled, as POST /api/v1/admin/users/{id}/disable does
        async with db.tenant(tenant.schema) as conn:
            await conn.execute(
                "UPDATE staff_users SET active = false, token_version = token_version + 1"
                " WHERE id = $1",
                cook,
            )
        # the live subscriptions end at the next sweep, with invalid_token
        ended = await asyncio.wait_for(recv(live), 5)
        assert ended == {"op": "error", "channel": "kitchen", "code": "invalid_token"}
        assert await asyncio.wait_for(recv(order_ws), 5) == {
            "op": "error",
            "channel": "order:5",
            "code": "invalid_token",
        }
        await publish_event(redis, tenant.id, "kitchen", "order.created", b'{"secret":1}')
        # a new subscription is refused at once, whatever the token's version
        for version in (0, 1):
            refused = await subscribe(live, "kitchen", token=token(version))
            assert refused == {"op": "error", "channel": "kitchen", "code": "invalid_token"}
        # enabled again: only a token of the new version works
        async with db.tenant(tenant.schema) as conn:
            await conn.execute("UPDATE staff_users SET active = true WHERE id = $1", cook)
        assert (await subscribe(live, "kitchen", token=token(0)))["code"] == "invalid_token"
        assert (await subscribe(live, "kitchen", token=token(1)))["op"] == "subscribed"


@dataclass
class Stack:
    menu: int
    replicas: tuple[Server, Server]
    redis: Redis


@pytest.fixture(params=["standalone", "cluster"])
async def stack(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Stack]:
    """The menu as a process, two realtime apps, all on standalone or cluster-mode Valkey."""
    url = request.getfixturevalue(
        "redis_cluster_url" if request.param == "cluster" else "redis_url"
    )
    own = settings.model_copy(update={"redis_url": url})
    port = free_port()
    redis = connect_redis(url)
    with _process("stelly_menu", port, own) as menu:
        started = [await start_server(own, NO_SWEEP) for _ in range(2)]
        try:
            await _healthy(port, menu)
            yield Stack(port, (started[0][1], started[1][1]), redis)
        finally:
            for uv, _ in started:
                await stop_server(uv)
            await redis.aclose()


@dataclass
class Account:
    id: int
    email: str
    token: str


class Owner:
    """The owner of a tenant, speaking to the menu service's API."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http, self.token = http, token

    async def post(self, path: str, **options: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.token}"}
        response = await self.http.post(path, headers=headers, **options)
        assert response.status_code in (200, 201), response.text
        return response

    async def add_staff(self) -> Account:
        """A new ``staff`` account, signed in."""
        email = f"cook-{secrets.token_hex(3)}@x.example"
        body = {"email": email, "password": STAFF_PASSWORD, "role": "staff"}
        user = await self.post("/api/v1/admin/users", json=body)
        return Account(user.json()["id"], email, await self.login(email))

    async def login(self, email: str, password: str = STAFF_PASSWORD) -> str:
        body = {"email": email, "password": password}
        response = await self.http.post("/api/v1/auth/token", json=body)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


@contextlib.asynccontextmanager
async def _owner(stack: Stack, tenant: Tenant) -> AsyncIterator[Owner]:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{stack.menu}",
        headers={"host": f"{tenant.slug}.localhost"},
        timeout=TIMEOUT,
    ) as http:
        owner = Owner(http, "")
        owner.token = await owner.login(f"owner@{tenant.slug}.example", OWNER_PASSWORD)
        yield owner


async def _subscribed(
    server: Server, tenant: Tenant, token: str, channel: str = "kitchen"
) -> ClientConnection:
    ws = await server.connect(tenant)
    assert (await subscribe(ws, channel, token=token))["op"] == "subscribed"
    return ws


async def _ended_at_once(sockets: list[ClientConnection], channel: str = "kitchen") -> None:
    frames = await asyncio.wait_for(asyncio.gather(*(recv(ws) for ws in sockets)), AT_ONCE)
    assert frames == [{**INVALID, "channel": channel}] * len(sockets)


async def _still_live(redis: Redis, tenant: Tenant, sockets: list[ClientConnection]) -> None:
    await publish_event(redis, tenant.id, "kitchen", "order.created", b'{"id":1}')
    for ws in sockets:
        frame = await recv(ws)
        assert (frame["op"], frame["channel"]) == ("event", "kitchen"), frame


async def test_disabling_ends_the_users_subscriptions_on_every_replica_at_once(
    stack: Stack, make_tenant: MakeTenant
) -> None:
    one, two = stack.replicas
    home, elsewhere = await make_tenant(), await make_tenant()
    async with (
        _owner(stack, home) as owner,
        _owner(stack, elsewhere) as other_owner,
        contextlib.AsyncExitStack() as sockets,
    ):
        cook, colleague = await owner.add_staff(), await owner.add_staff()
        namesake = await other_owner.add_staff()
        assert namesake.id == cook.id  # the same user id, in another tenant

        async def open_(
            server: Server, tenant: Tenant, token: str, channel: str = "kitchen"
        ) -> ClientConnection:
            ws = await _subscribed(server, tenant, token, channel)
            return await sockets.enter_async_context(ws)

        cooks = [await open_(one, home, cook.token), await open_(two, home, cook.token)]
        cook_order = await open_(two, home, cook.token, "order:5")
        colleagues = [await open_(one, home, colleague.token)]
        namesakes = [await open_(one, elsewhere, namesake.token)]
        namesakes.append(await open_(two, elsewhere, namesake.token))

        disabled = await owner.post(f"/api/v1/admin/users/{cook.id}/disable")
        assert disabled.json()["status"] == "disabled"
        await _ended_at_once(cooks)
        await _ended_at_once([cook_order], "order:5")
        # the colleague, and the other tenant's user of the same id, keep their feed
        await _still_live(stack.redis, home, colleagues)
        await _still_live(stack.redis, elsewhere, namesakes)
        for ws in (*cooks, cook_order):
            await assert_quiet(ws)

        # enabled again and signed in anew: a late copy of the notice leaves that be
        await owner.post(f"/api/v1/admin/users/{cook.id}/enable")
        fresh = await owner.login(cook.email)
        assert (await subscribe(cooks[0], "kitchen", token=fresh))["op"] == "subscribed"
        assert await publish_staff_revoked(stack.redis, home.id, cook.id, 1)
        # notices arrive in order: once this one has ended the namesakes, the late one is done
        assert await publish_staff_revoked(stack.redis, elsewhere.id, namesake.id, 1)
        await _ended_at_once(namesakes)
        await _still_live(stack.redis, home, [cooks[0], *colleagues])


async def test_a_password_reset_ends_the_users_subscriptions_at_once(
    stack: Stack, make_tenant: MakeTenant
) -> None:
    one, two = stack.replicas
    tenant = await make_tenant()
    async with _owner(stack, tenant) as owner:
        cook, colleague = await owner.add_staff(), await owner.add_staff()
        async with (
            await _subscribed(one, tenant, cook.token) as a,
            await _subscribed(two, tenant, cook.token) as b,
            await _subscribed(two, tenant, colleague.token) as other,
        ):
            await owner.post(f"/api/v1/admin/users/{cook.id}/password-reset")
            await _ended_at_once([a, b])
            await _still_live(stack.redis, tenant, [other])


async def test_a_notice_ends_only_its_own_tenants_subscriptions(
    realtime: Server, make_tenant: MakeTenant, settings: Settings, db: Database, redis: Redis
) -> None:
    # the attacker's side: a notice naming tenant B's user 1 (or B's user 2 with the
    # version of A's user 1) never ends a socket of tenant A
    home, attacker = await make_tenant(), await make_tenant()
    async with db.tenant(home.schema) as conn:
        cook = await conn.fetchval(
            "INSERT INTO staff_users (email, password_hash, role) VALUES ('c@x.example', 'x',"
            " 'staff') RETURNING id"
        )

    def token(user: int) -> str:
        return issue_token(
            settings.secret_key, tenant_id=home.id, subject=str(user), kind="staff", ttl_seconds=600
        )

    async with (
        await _subscribed(realtime, home, token(1)) as owner_ws,
        await _subscribed(realtime, home, token(cook)) as cook_ws,
    ):
        assert await publish_staff_revoked(redis, attacker.id, 1, 99)
        assert await publish_staff_revoked(redis, attacker.id, cook, 99)
        assert await publish_staff_revoked(redis, home.id, cook, 0)  # no token is below 0
        # notices arrive in order: once this one has ended the cook's, the others are done
        assert await publish_staff_revoked(redis, home.id, cook, 1)
        await _ended_at_once([cook_ws])
        await _still_live(redis, home, [owner_ws])
