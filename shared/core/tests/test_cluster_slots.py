"""Redis in cluster mode: cross-slot mistakes are refused, the core's own operations pass.

Against an embedded Valkey in cluster mode (one node holding all 16,384 hash
slots), which refuses a multi-key command, ``MULTI``/``EXEC`` or script
whose keys are in more than one slot, as Azure Managed Redis does.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import ClusterCrossSlotError
from stelly_core.cachekeys import platform_key, tenant_key
from stelly_core.db import Database
from stelly_core.events import OutboxRelay, channel_key, enqueue_event, publish_event
from stelly_core.localstack import EmbeddedValkey
from stelly_core.ratelimit import RateLimit, RateLimiter
from stelly_core.redis import connect_redis

LOGIN = RateLimit("login-cluster-test", limit=2, period=60)

#: Two keys of one move, as a careless caller would name them: different slots.
_MOVE = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
"""


@pytest.fixture
async def cluster(redis_cluster_url: str) -> AsyncIterator[Redis]:
    client = connect_redis(redis_cluster_url)
    yield client
    await client.aclose()


async def _slot(redis: Redis, key: str) -> int:
    return int(await redis.execute_command("CLUSTER", "KEYSLOT", key))


async def test_the_server_is_in_cluster_mode_with_every_slot(cluster: Redis) -> None:
    info = (await cluster.execute_command("CLUSTER", "INFO")).decode()
    assert "cluster_state:ok" in info
    assert "cluster_slots_assigned:16384" in info


async def test_a_cross_slot_transaction_is_refused(cluster: Redis) -> None:
    owner = secrets.token_hex(4)
    jobs, dead = platform_key(owner, "jobs"), platform_key(owner, "jobs", "dead")
    assert await _slot(cluster, jobs) != await _slot(cluster, dead)
    async with cluster.pipeline(transaction=True) as pipe:
        pipe.xadd(dead, {"job": "x"})
        pipe.xadd(jobs, {"job": "x"})
        with pytest.raises(ClusterCrossSlotError):
            await pipe.execute()
    assert await cluster.exists(jobs) == await cluster.exists(dead) == 0  # nothing of it ran
    with pytest.raises(ClusterCrossSlotError):
        await cluster.exists(jobs, dead)  # a multi-key command, likewise

    tagged_jobs = platform_key(owner, "jobs", tagged=True)
    tagged_dead = platform_key(owner, "jobs", "dead", tagged=True)
    async with cluster.pipeline(transaction=True) as pipe:
        pipe.xadd(tagged_dead, {"job": "x"})
        pipe.xadd(tagged_jobs, {"job": "x"})
        assert len(await pipe.execute()) == 2


async def test_a_cross_slot_script_is_refused(cluster: Redis) -> None:
    tenant = secrets.randbelow(10**9) + 1
    move = cluster.register_script(_MOVE)
    with pytest.raises(ClusterCrossSlotError):
        await move(keys=[tenant_key(tenant, "a"), tenant_key(tenant, "b")], args=["1"])
    tagged = [tenant_key(tenant, "a", tagged=True), tenant_key(tenant, "b", tagged=True)]
    assert await move(keys=tagged, args=["1"]) == 1


async def test_tagged_keys_share_their_owners_slot(cluster: Redis) -> None:
    assert tenant_key(42, "menu", tagged=True) == "t:{42}:menu"
    assert platform_key("media", "jobs", "dead", tagged=True) == "p:{media}:jobs:dead"
    assert platform_key("media", tagged=True) == "p:{media}"
    assert await _slot(cluster, tenant_key(42, "menu", tagged=True)) == await _slot(
        cluster, tenant_key(42, "menu", "floor", tagged=True)
    )
    assert await _slot(cluster, platform_key("media", "jobs", tagged=True)) == await _slot(
        cluster, platform_key("media", "jobs", "dead", tagged=True)
    )
    with pytest.raises(ValueError, match="invalid cache key part"):
        tenant_key(42, "{menu}")  # a part cannot smuggle in a tag of its own


async def test_publish_event_runs_in_cluster_mode(cluster: Redis) -> None:
    tenant = secrets.randbelow(10**9) + 1
    key = channel_key(tenant, "kitchen")
    async with cluster.pubsub() as pubsub:
        await pubsub.subscribe(key)
        await pubsub.get_message(timeout=1)  # the subscribe confirmation
        offset = await publish_event(cluster, tenant, "kitchen", "order.created", b'{"n":1}')
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
    assert message is not None and json.loads(message["data"])["offset"] == offset
    entries = await cluster.xrange(key)
    assert [entry_id.decode() for entry_id, _ in entries] == [offset]


async def test_the_outbox_relay_runs_in_cluster_mode(db: Database, cluster: Redis) -> None:
    async with db.platform() as conn:
        slug = "cl" + secrets.token_hex(4)
        tenant = int(
            await conn.fetchval(
                "INSERT INTO tenants (slug, name, schema_name) VALUES ($1, $1, $2) RETURNING id",
                slug,
                "t_" + slug,
            )
        )
        for n in range(2):
            await enqueue_event(conn, tenant, "menu", "menu.updated", {"n": n})
    relay = OutboxRelay(db, cluster)
    while await relay.relay_once():
        pass
    entries = await cluster.xrange(channel_key(tenant, "menu"))
    assert [json.loads(fields[b"data"])["n"] for _, fields in entries] == [0, 1]


async def test_the_rate_limiter_runs_in_cluster_mode(cluster: Redis) -> None:
    limiter = RateLimiter(cluster)
    client = "198.51.100.7-" + secrets.token_hex(4)
    verdicts = [await limiter.hit(LOGIN, 1, client) for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]


def test_a_kept_cluster_node_starts_again_with_its_slots(tmp_path: Path) -> None:
    # `make run` keeps the Valkey directory (nodes.conf remembers the slots)
    server = EmbeddedValkey(tmp_path / "valkey", cluster=True)
    for _ in range(2):
        url = server.start()
        client = SyncRedis.from_url(url)
        try:
            client.set("{x}:a", "1")
            info = client.execute_command("CLUSTER", "INFO").decode()
        finally:
            client.close()
            server.stop()
        assert "cluster_state:ok" in info and "cluster_slots_assigned:16384" in info
