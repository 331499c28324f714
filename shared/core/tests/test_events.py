"""The outbox and the per-channel streams, on real PostgreSQL and Valkey."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import pytest
from stelly_core.db import Database
from stelly_core.events import OutboxRelay, channel_key, enqueue_event, validate_channel
from stelly_core.redis import connect_redis


@pytest.mark.parametrize("channel", ["menu", "kitchen", "order:1", "order:123456789"])
def test_valid_channels(channel: str) -> None:
    assert validate_channel(channel) == channel


@pytest.mark.parametrize(
    "channel",
    [
        "kitchen ",
        "Kitchen",
        "order:",
        "order:../x",
        "order:0",
        "order:-1",
        "order:1 ",
        "menu\n",
        "x" * 10_000,
        "",
        "order:1:2",
        "*",
        "t:1:ev:menu",
    ],
)
def test_channel_name_tricks_are_refused(channel: str) -> None:
    with pytest.raises(ValueError, match="channel"):
        validate_channel(channel)


def test_channel_keys_are_per_tenant() -> None:
    assert channel_key(1, "kitchen") != channel_key(2, "kitchen")


async def _tenant_id(db: Database) -> int:
    async with db.platform() as conn:
        slug = "ev" + secrets.token_hex(4)
        return int(
            await conn.fetchval(
                "INSERT INTO tenants (slug, name, schema_name) VALUES ($1, $1, $2) RETURNING id",
                slug,
                "t_" + slug,
            )
        )


async def test_committed_events_reach_the_stream_in_order(db: Database, redis_url: str) -> None:
    redis = connect_redis(redis_url)
    tenant_id = await _tenant_id(db)
    relay = OutboxRelay(db, redis)
    async with db.platform() as conn:
        for n in range(3):
            await enqueue_event(conn, tenant_id, "kitchen", "order.created", {"n": n})
    with pytest.raises(RuntimeError):
        async with db.platform() as conn:
            await enqueue_event(conn, tenant_id, "kitchen", "order.created", {"n": "rolled back"})
            raise RuntimeError("abort the transaction")
    while await relay.relay_once():
        pass
    entries = await redis.xrange(channel_key(tenant_id, "kitchen"))
    assert [json.loads(fields[b"data"])["n"] for _, fields in entries] == [0, 1, 2]
    await redis.aclose()


async def test_events_wait_in_the_outbox_while_redis_is_down(db: Database, redis_url: str) -> None:
    tenant_id = await _tenant_id(db)
    dead = connect_redis("redis://127.0.0.1:9")  # nothing listens on the discard port
    async with db.platform() as conn:
        await enqueue_event(conn, tenant_id, "menu", "menu.updated", {"version": "v1"})
    with pytest.raises(Exception, match="onnect"):
        await OutboxRelay(db, dead).relay_once()
    await dead.aclose()
    redis = connect_redis(redis_url)
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel_key(tenant_id, "menu"))
    relay = OutboxRelay(db, redis, interval=0.05)
    relay.start()
    try:
        message = None
        for _ in range(100):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message:
                break
        assert message is not None
        event = json.loads(message["data"])
        assert event["type"] == "menu.updated"
        assert event["data"] == {"version": "v1"}
        entries = await redis.xrange(channel_key(tenant_id, "menu"))
        assert [e[0].decode() for e in entries] == [event["offset"]]
    finally:
        await relay.stop()
        await pubsub.aclose()
        await redis.aclose()


async def _outbox_rows(db: Database, tenant_id: int) -> int:
    async with db.platform() as conn:
        return int(
            await conn.fetchval("SELECT count(*) FROM event_outbox WHERE tenant_id = $1", tenant_id)
        )


async def test_stop_relays_what_is_committed_before_it_exits(db: Database, redis_url: str) -> None:
    redis = connect_redis(redis_url)
    tenant_id = await _tenant_id(db)
    relay = OutboxRelay(db, redis, interval=3600)  # no tick: only the flush can relay
    relay.start()
    await asyncio.sleep(0.2)  # the first pass has run on an empty outbox
    async with db.platform() as conn:
        for n in range(250):  # more than one batch
            await conn.execute(
                "INSERT INTO public.event_outbox (tenant_id, channel, type, data)"
                " VALUES ($1, 'kitchen', 'order.created', $2)",
                tenant_id,
                json.dumps({"n": n}),
            )  # no NOTIFY: nothing wakes the relay before stop()
    assert await _outbox_rows(db, tenant_id) == 250
    await relay.stop(flush_timeout=5.0)
    entries = await redis.xrange(channel_key(tenant_id, "kitchen"))
    assert [json.loads(fields[b"data"])["n"] for _, fields in entries] == list(range(250))
    assert await _outbox_rows(db, tenant_id) == 0
    await redis.aclose()


async def test_stop_is_bounded_and_leaves_what_it_cannot_relay(db: Database) -> None:
    tenant_id = await _tenant_id(db)
    dead = connect_redis("redis://127.0.0.1:9")
    relay = OutboxRelay(db, dead, interval=3600)
    relay.start()
    async with db.platform() as conn:
        await enqueue_event(conn, tenant_id, "kitchen", "order.created", {"n": 1})
    started = time.monotonic()
    await relay.stop(flush_timeout=1.0)
    assert time.monotonic() - started < 5.0
    assert await _outbox_rows(db, tenant_id) == 1  # still there for another replica
    await dead.aclose()
