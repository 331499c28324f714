"""The shared metric instruments: the outbox gauges and rate-limit refusals, on real PostgreSQL and Valkey."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from stelly_core.db import Database
from stelly_core.events import OutboxRelay, enqueue_event
from stelly_core.ratelimit import RateLimit, RateLimiter
from stelly_core.redis import connect_redis
from stelly_core.telemetry.instruments import (
    OUTBOX_DEPTH,
    OUTBOX_OLDEST_AGE,
    GaugeValue,
    instruments,
)


async def _tenant_id(db: Database) -> int:
    async with db.platform() as conn:
        slug = "mx" + secrets.token_hex(4)
        return int(
            await conn.fetchval(
                "INSERT INTO tenants (slug, name, schema_name) VALUES ($1, $1, $2) RETURNING id",
                slug,
                "t_" + slug,
            )
        )


async def test_a_relay_pass_updates_the_outbox_gauges(
    db: Database, redis_url: str, metric_readings: Any
) -> None:
    redis = connect_redis(redis_url)
    relay = OutboxRelay(db, redis, interval=0.05)
    try:
        while await relay.relay_once():  # whatever earlier tests left
            pass
        tenant_id = await _tenant_id(db)
        async with db.platform() as conn:
            for n in range(3):
                await enqueue_event(conn, tenant_id, "kitchen", "order.created", {"n": n})
        await asyncio.sleep(0.05)
        await relay.measure()
        assert metric_readings.value("stelly.outbox.depth") == 3
        assert metric_readings.value("stelly.outbox.oldest_age") >= 0.05

        relay.start()  # its passes relay the three, then count an empty outbox
        deadline = time.monotonic() + 10
        while metric_readings.value("stelly.outbox.depth") != 0:
            assert time.monotonic() < deadline, "the relay never reported an empty outbox"
            await asyncio.sleep(0.05)
        assert metric_readings.value("stelly.outbox.oldest_age") == 0
    finally:
        await relay.stop()
        await redis.aclose()


async def test_the_gauges_keep_their_values_while_postgresql_is_unreachable(
    settings: Any, redis_url: str, metric_readings: Any
) -> None:
    OUTBOX_DEPTH.set(7)
    OUTBOX_OLDEST_AGE.set(1.5)
    dead = await Database.connect(
        "postgresql://nobody@127.0.0.1:9/none", settings, min_size=0, max_size=1
    )
    redis = connect_redis(redis_url)
    try:
        await OutboxRelay(dead, redis).measure()  # never raises
    finally:
        await redis.aclose()
        await dead.close()
    assert metric_readings.value("stelly.outbox.depth") == 7
    assert metric_readings.value("stelly.outbox.oldest_age") == 1.5


async def test_a_refused_hit_counts_by_rule_and_a_check_does_not(
    redis_url: str, unique_slug: str, metric_readings: Any
) -> None:
    redis = connect_redis(redis_url)
    limiter = RateLimiter(redis)
    rule = RateLimit(f"metrics-{unique_slug}", limit=2, period=60)
    try:
        verdicts = [(await limiter.hit(rule, 1, "198.51.100.7")).allowed for _ in range(4)]
        assert not (await limiter.hit(rule, 1, "198.51.100.7", cost=0)).allowed
    finally:
        await redis.aclose()
    assert verdicts == [True, True, False, False]
    assert (
        metric_readings.value("stelly.ratelimit.refusals", {"stelly.ratelimit.rule": rule.name})
        == 2
    )
    points = metric_readings.reader.get_metrics_data().resource_metrics[0].scope_metrics[0]
    refusals = next(m for m in points.metrics if m.name == "stelly.ratelimit.refusals")
    # bounded: the rule's name only, never the tenant or the client
    assert {tuple(p.attributes) for p in refusals.data.data_points} == {("stelly.ratelimit.rule",)}


def test_instruments_follow_the_installed_provider(metric_readings: Any) -> None:
    first = instruments()
    assert instruments() is first  # built once per provider
    first.orders_created.add(2, {"stelly.order.fulfillment": "pickup"})
    assert metric_readings.value("stelly.orders.created") == 2


def test_a_gauge_reports_only_what_was_set() -> None:
    gauge = GaugeValue()
    assert list(gauge.observe(None)) == []  # type: ignore[arg-type]
    gauge.set(3, {"stelly.queue.state": "waiting"})
    gauge.set(1, {"stelly.queue.state": "pending"})
    gauge.set(4, {"stelly.queue.state": "waiting"})
    observed = {o.attributes["stelly.queue.state"]: o.value for o in gauge.observe(None)}  # type: ignore[arg-type, index]
    assert observed == {"waiting": 4, "pending": 1}
    gauge.clear()
    assert gauge.get({"stelly.queue.state": "waiting"}) is None
