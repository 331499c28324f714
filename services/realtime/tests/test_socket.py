"""``/ws/v1`` on a real uvicorn server, real Valkey and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis
from stelly_core.auth import issue_token
from stelly_core.events import channel_key, publish_event
from stelly_core.settings import Settings
from websockets.exceptions import ConnectionClosed

from .conftest import (
    MakeTenant,
    Server,
    assert_quiet,
    order_token,
    recv,
    send,
    staff_token,
    subscribe,
)


async def test_menu_subscriber_receives_published_events(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    async with await realtime.connect(tenant) as ws:
        reply = await subscribe(ws, "menu")
        assert reply["op"] == "subscribed"
        assert reply["channel"] == "menu"
        assert reply["recovered"] is False
        offset = await publish_event(redis, tenant.id, "menu", "menu.updated", b'{"version":"v2"}')
        assert await recv(ws) == {
            "op": "event",
            "channel": "menu",
            "offset": offset,
            "type": "menu.updated",
            "data": {"version": "v2"},
        }


async def test_subscribed_offset_is_the_stream_top(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    last = await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
    async with await realtime.connect(tenant) as ws:
        reply = await subscribe(ws, "menu")
        assert reply["offset"] == last
        assert reply["recovered"] is False
        await assert_quiet(ws)  # no history without since


async def test_kitchen_needs_a_staff_token_of_this_tenant(
    realtime: Server, make_tenant: MakeTenant, redis: Redis, settings: Settings
) -> None:
    tenant = await make_tenant()
    async with await realtime.connect(tenant) as ws:
        assert await subscribe(ws, "kitchen") == {
            "op": "error",
            "channel": "kitchen",
            "code": "token_required",
        }
        assert (await subscribe(ws, "kitchen", token="garbage"))["code"] == "invalid_token"
        customer = order_token(settings, tenant, 7)
        assert (await subscribe(ws, "kitchen", token=customer))["code"] == "invalid_token"
        # the socket stays open and usable
        reply = await subscribe(ws, "kitchen", token=staff_token(settings, tenant))
        assert reply["op"] == "subscribed"
        await publish_event(redis, tenant.id, "kitchen", "order.created", b'{"id":1}')
        event = await recv(ws)
        assert (event["type"], event["data"]) == ("order.created", {"id": 1})


async def test_order_channel_needs_that_orders_token_or_staff(
    realtime: Server, make_tenant: MakeTenant, settings: Settings
) -> None:
    tenant = await make_tenant()
    async with await realtime.connect(tenant) as ws:
        other = order_token(settings, tenant, 8)
        assert await subscribe(ws, "order:7", token=other) == {
            "op": "error",
            "channel": "order:7",
            "code": "forbidden",
        }
        assert (await subscribe(ws, "order:7"))["code"] == "token_required"
        mine = await subscribe(ws, "order:7", token=order_token(settings, tenant, 7))
        assert mine["op"] == "subscribed"
        staff = await subscribe(ws, "order:8", token=staff_token(settings, tenant))
        assert staff["op"] == "subscribed"


async def test_since_replays_exactly_the_missed_events_then_live_ones(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    offsets = [
        await publish_event(redis, tenant.id, "menu", "menu.updated", json.dumps({"n": n}).encode())
        for n in range(4)
    ]
    async with await realtime.connect(tenant) as ws:
        reply = await subscribe(ws, "menu", since=offsets[1])
        assert reply == {
            "op": "subscribed",
            "channel": "menu",
            "offset": offsets[3],
            "recovered": True,
        }
        replayed = [await recv(ws), await recv(ws)]
        assert [e["offset"] for e in replayed] == offsets[2:]
        assert [e["data"]["n"] for e in replayed] == [2, 3]
        live = await publish_event(redis, tenant.id, "menu", "menu.updated", b'{"n":4}')
        assert (await recv(ws))["offset"] == live
        await assert_quiet(ws)


async def test_since_at_the_top_recovers_nothing_missing(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    top = await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
    async with await realtime.connect(tenant) as ws:
        reply = await subscribe(ws, "menu", since=top)
        assert (reply["recovered"], reply["offset"]) == (True, top)
        await assert_quiet(ws)


async def test_a_trimmed_gap_is_not_recovered(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    offsets = [
        await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}") for _ in range(5)
    ]
    # what the retention trim does after 24 h, here exactly and now
    await redis.xtrim(channel_key(tenant.id, "menu"), minid=offsets[3], approximate=False)
    async with await realtime.connect(tenant) as ws:
        reply = await subscribe(ws, "menu", since=offsets[1])
        assert (reply["recovered"], reply["offset"]) == (False, offsets[4])
        await assert_quiet(ws)  # no partial replay
        await send(ws, op="unsubscribe", channel="menu")
        assert await recv(ws) == {"op": "unsubscribed", "channel": "menu"}
        # from the oldest retained entry on, the gap is whole again
        reply = await subscribe(ws, "menu", since=offsets[3])
        assert reply["recovered"] is True
        assert (await recv(ws))["offset"] == offsets[4]


@pytest.mark.parametrize("since", ["1-0", "0-0"])
async def test_an_offset_older_than_the_window_is_not_recovered(
    realtime: Server, make_tenant: MakeTenant, redis: Redis, since: str
) -> None:
    tenant = await make_tenant()
    await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
    async with await realtime.connect(tenant) as ws:
        assert (await subscribe(ws, "menu", since=since))["recovered"] is False
        await assert_quiet(ws)


async def test_a_vanished_stream_is_not_recovered(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    offset = await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
    await redis.delete(channel_key(tenant.id, "menu"))
    async with await realtime.connect(tenant) as ws:
        assert (await subscribe(ws, "menu", since=offset))["recovered"] is False


async def test_an_offset_from_the_future_is_not_recovered(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    offset = await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
    ms = int(offset.split("-")[0])
    async with await realtime.connect(tenant) as ws:
        assert (await subscribe(ws, "menu", since=f"{ms + 10}-0"))["recovered"] is False


async def test_first_event_after_subscribing_to_an_empty_channel_is_after_its_offset(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    async with await realtime.connect(tenant) as ws:
        reply = await subscribe(ws, "menu")
    offset = await publish_event(redis, tenant.id, "menu", "menu.updated", b'{"n":1}')
    async with await realtime.connect(tenant) as ws:
        again = await subscribe(ws, "menu", since=reply["offset"])
        assert again["recovered"] is True
        assert (await recv(ws))["offset"] == offset


@pytest.mark.parametrize(
    "since", ["abc", "1", "1-", "-1", "1-2-3", "\u0661-\u0660", "9" * 30 + "-0", ""]
)
async def test_malformed_since_is_refused(
    realtime: Server, make_tenant: MakeTenant, since: str
) -> None:
    tenant = await make_tenant()
    async with await realtime.connect(tenant) as ws:
        assert await subscribe(ws, "menu", since=since) == {
            "op": "error",
            "channel": "menu",
            "code": "invalid_offset",
        }


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[]",
        "{}",
        '{"op": "publish", "channel": "menu"}',
        '{"op": "subscribe"}',
        '{"op": "subscribe", "channel": 5}',
        '{"op": "subscribe", "channel": "menu", "since": 5}',
    ],
)
async def test_malformed_commands_get_an_error_and_the_socket_stays_open(
    realtime: Server, make_tenant: MakeTenant, frame: str
) -> None:
    tenant = await make_tenant()
    async with await realtime.connect(tenant) as ws:
        await ws.send(frame)
        assert await recv(ws) == {"op": "error", "code": "invalid_message"}
        assert (await subscribe(ws, "menu"))["op"] == "subscribed"


async def test_binary_frames_close_with_unsupported_data(
    realtime: Server, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    async with await realtime.connect(tenant) as ws:
        await ws.send(b'{"op":"subscribe","channel":"menu"}')
        with pytest.raises(ConnectionClosed) as closed:
            await recv(ws)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1003


async def test_oversized_frames_close_with_message_too_big(
    realtime: Server, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    async with await realtime.connect(tenant) as ws:
        await send(ws, op="subscribe", channel="menu", token="x" * 10_000)
        with pytest.raises(ConnectionClosed) as closed:
            await recv(ws)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1009


async def test_subscriptions_per_socket_are_limited(
    realtime: Server, make_tenant: MakeTenant, settings: Settings
) -> None:
    tenant = await make_tenant()
    token = staff_token(settings, tenant)
    async with await realtime.connect(tenant) as ws:
        for n in range(1, 5):  # the fixture allows 4
            assert (await subscribe(ws, f"order:{n}", token=token))["op"] == "subscribed"
        assert await subscribe(ws, "order:5", token=token) == {
            "op": "error",
            "channel": "order:5",
            "code": "too_many_subscriptions",
        }
        assert (await subscribe(ws, "order:1", token=token))["code"] == "already_subscribed"


async def test_unsubscribe_stops_events_and_the_upstream_subscription(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    async with await realtime.connect(tenant) as ws:
        await subscribe(ws, "menu")
        assert realtime.service.hub.channels == 1
        await send(ws, op="unsubscribe", channel="menu")
        assert await recv(ws) == {"op": "unsubscribed", "channel": "menu"}
        assert realtime.service.hub.channels == 0
        await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
        await assert_quiet(ws)
        await send(ws, op="unsubscribe", channel="menu")
        assert await recv(ws) == {"op": "error", "channel": "menu", "code": "not_subscribed"}


async def test_one_upstream_subscription_serves_every_local_subscriber(
    realtime: Server, make_tenant: MakeTenant, redis: Redis
) -> None:
    tenant = await make_tenant()
    sockets = [await realtime.connect(tenant) for _ in range(3)]
    try:
        for ws in sockets:
            await subscribe(ws, "menu")
        assert realtime.service.hub.channels == 1
        # under uvicorn's sans-I/O protocol the pre-framed fast path is in use
        assert all(s.connection.direct for s in realtime.service.sessions)
        delivered = realtime.service.hub.delivered
        offset = await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
        for ws in sockets:
            assert (await recv(ws))["offset"] == offset
        assert realtime.service.hub.delivered == delivered + 1
    finally:
        for ws in sockets:
            await ws.close()


async def test_closing_a_socket_releases_its_subscriptions(
    realtime: Server, make_tenant: MakeTenant
) -> None:
    tenant = await make_tenant()
    async with await realtime.connect(tenant) as ws:
        await subscribe(ws, "menu")
        assert len(realtime.service.sessions) == 1
    for _ in range(200):
        if not realtime.service.sessions:
            break
        await asyncio.sleep(0.01)
    assert realtime.service.sessions == set()
    assert realtime.service.hub.channels == 0


async def test_a_subscription_ends_when_its_token_expires(
    realtime: Server, make_tenant: MakeTenant, redis: Redis, settings: Settings
) -> None:
    tenant = await make_tenant()
    short = issue_token(
        settings.secret_key, tenant_id=tenant.id, subject="1", kind="staff", ttl_seconds=1
    )
    async with await realtime.connect(tenant) as ws:
        assert (await subscribe(ws, "kitchen", token=short))["op"] == "subscribed"
        assert (await subscribe(ws, "menu"))["op"] == "subscribed"
        assert await recv(ws) == {"op": "error", "channel": "kitchen", "code": "token_expired"}
        await publish_event(redis, tenant.id, "kitchen", "order.created", b"{}")
        menu = await publish_event(redis, tenant.id, "menu", "menu.updated", b"{}")
        assert (await recv(ws))["offset"] == menu  # the kitchen event never came
