"""The attacker's side: a burger client never receives pizza's events."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from stelly_core.db import Database
from stelly_core.events import publish_event
from stelly_core.settings import Settings
from stelly_tenancy.models import TenantStatus
from stelly_tenancy.provisioning import set_tenant_status
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .conftest import (
    MakeTenant,
    Server,
    assert_quiet,
    order_token,
    recv,
    staff_token,
    subscribe,
    ws_connect,
)

TRICKS = [
    "kitchen ",
    " kitchen",
    "Kitchen",
    "KITCHEN",
    "kitchen\n",
    "kitchen\x00",
    "order:",
    "order:../x",
    "order:../../kitchen",
    "order:0",
    "order:01",
    "order:1 ",
    "order:1/../2",
    "order:*",
    "menu*",
    "*",
    "t:1:ev:kitchen",
    "order:" + "9" * 40,
    "k" * 3000,
]


async def test_burger_never_receives_pizza_events(
    realtime: Server, make_tenant: MakeTenant, redis: Redis, settings: Settings
) -> None:
    pizza, burger = await make_tenant(), await make_tenant()
    async with await realtime.connect(burger) as ws:
        token = staff_token(settings, burger)
        for channel in ("menu", "kitchen", "order:1"):
            assert (await subscribe(ws, channel, token=token))["op"] == "subscribed"
        # the same channel names on pizza: same order id, different tenant
        for channel, kind in (
            ("menu", "menu.updated"),
            ("kitchen", "order.created"),
            ("order:1", "order.updated"),
        ):
            await publish_event(redis, pizza.id, channel, kind, b'{"secret":"pizza"}')
        await assert_quiet(ws)
        # burger's own events still arrive: the silence above is not a dead socket
        await publish_event(redis, burger.id, "kitchen", "order.created", b'{"mine":true}')
        assert (await recv(ws))["data"] == {"mine": True}


async def test_pizza_tokens_are_refused_on_burgers_host(
    realtime: Server, make_tenant: MakeTenant, redis: Redis, settings: Settings
) -> None:
    pizza, burger = await make_tenant(), await make_tenant()
    async with await realtime.connect(burger) as ws:
        pizza_staff = staff_token(settings, pizza, role="owner")
        assert await subscribe(ws, "kitchen", token=pizza_staff) == {
            "op": "error",
            "channel": "kitchen",
            "code": "token_wrong_tenant",
        }
        for token in (order_token(settings, pizza, 5), pizza_staff):
            reply = await subscribe(ws, "order:5", token=token)
            assert reply == {"op": "error", "channel": "order:5", "code": "token_wrong_tenant"}
        await publish_event(redis, pizza.id, "order:5", "order.updated", b'{"secret":"pizza"}')
        await publish_event(redis, pizza.id, "kitchen", "order.created", b'{"secret":"pizza"}')
        await assert_quiet(ws)


async def test_recovery_never_reads_another_tenants_stream(
    realtime: Server, make_tenant: MakeTenant, redis: Redis, settings: Settings
) -> None:
    pizza, burger = await make_tenant(), await make_tenant()
    await publish_event(redis, pizza.id, "kitchen", "order.created", b'{"secret":"pizza"}')
    async with await realtime.connect(burger) as ws:
        reply = await subscribe(ws, "kitchen", token=staff_token(settings, burger), since="0-0")
        assert reply["op"] == "subscribed"
        assert reply["recovered"] is False  # burger's kitchen stream does not exist
        await assert_quiet(ws)


@pytest.mark.parametrize("channel", TRICKS)
async def test_channel_name_tricks_are_refused(
    realtime: Server, make_tenant: MakeTenant, settings: Settings, channel: str
) -> None:
    burger = await make_tenant()
    async with await realtime.connect(burger, max_size=None) as ws:
        reply = await subscribe(ws, channel, token=staff_token(settings, burger))
        assert reply == {"op": "error", "code": "invalid_channel"}
        assert realtime.service.hub.channels == 0


async def test_a_huge_channel_name_closes_the_socket_as_too_big(
    realtime: Server, make_tenant: MakeTenant
) -> None:
    burger = await make_tenant()
    async with await realtime.connect(burger, max_size=None) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await subscribe(ws, "kitchen" * 20_000)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009
    assert realtime.service.hub.channels == 0


async def test_a_spoofed_tenant_header_does_not_change_the_tenant(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    pizza, burger = await make_tenant(), await make_tenant()
    ws = await ws_connect(
        realtime.port,
        f"{burger.slug}.localhost",
        additional_headers={"X-Tenant-Host": f"{pizza.slug}.localhost", "X-Azure-FDID": "x"},
    )
    async with ws:
        await subscribe(ws, "menu")
        await publish_event(redis, pizza.id, "menu", "menu.updated", b'{"secret":"pizza"}')
        await assert_quiet(ws)


async def test_unknown_and_suspended_hosts_are_refused_at_the_handshake(
    realtime: Server, make_tenant: MakeTenant, db: Database, redis: Redis
) -> None:
    with pytest.raises(InvalidStatus) as unknown:
        await realtime.connect("nosuchstore.localhost")
    assert unknown.value.response.status_code == 404
    tenant = await make_tenant()
    await set_tenant_status(db, tenant.slug, TenantStatus.SUSPENDED, redis=redis)
    status = None
    for _ in range(100):  # the server's tenant cache hears of it through Redis
        try:
            ws = await realtime.connect(tenant)
        except InvalidStatus as refused:
            status = refused.response.status_code
            break
        await ws.close()
        await asyncio.sleep(0.05)
    assert status == 403


async def test_open_sockets_of_a_suspended_tenant_are_closed(
    realtime: Server, make_tenant: MakeTenant, db: Database, redis: Redis
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    ws, bystander = await realtime.connect(tenant), await realtime.connect(other)
    await subscribe(ws, "menu")
    await subscribe(bystander, "menu")
    await set_tenant_status(db, tenant.slug, TenantStatus.SUSPENDED, redis=redis)
    with pytest.raises(ConnectionClosed) as closed:
        await recv(ws)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "tenant_suspended")
    offset = await publish_event(redis, other.id, "menu", "menu.updated", b"{}")
    assert (await recv(bystander))["offset"] == offset
    await bystander.close()
