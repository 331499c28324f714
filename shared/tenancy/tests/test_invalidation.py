"""The invalidation channel on real Valkey: tenant changes and staff revocations apart."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from redis.asyncio import Redis
from stelly_core.localstack import free_port
from stelly_core.redis import connect_redis
from stelly_tenancy.invalidation import (
    CHANNEL,
    InvalidationListener,
    StaffRevoked,
    parse_staff_revoked,
    publish_staff_revoked,
    publish_tenant_change,
)

pytestmark = pytest.mark.redis_cluster  # each test on standalone and cluster-mode Valkey


async def _eventually(condition: object) -> None:
    for _ in range(500):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_each_kind_of_notice_reaches_its_own_handler(redis: Redis) -> None:
    changes: list[int] = []
    revoked: list[StaffRevoked] = []
    missed: list[int] = []
    listener = InvalidationListener(redis, lambda: changes.append(1))
    unwatch = listener.watch_staff(revoked.append, lambda: missed.append(1))
    listener.start()
    try:
        await asyncio.wait_for(listener.subscribed.wait(), 10)
        assert (len(changes), len(missed)) == (1, 1)  # the first connect counts as a miss
        tenant = 10_000 + secrets.randbelow(10**6)
        assert await publish_staff_revoked(redis, tenant, 7, 3)
        await _eventually(lambda: revoked)
        assert revoked == [StaffRevoked(tenant, 7, 3)]
        assert len(changes) == 1  # a revocation leaves the tenant cache alone
        assert await publish_tenant_change(redis, tenant)
        await _eventually(lambda: len(changes) == 2)
        # an unknown kind is treated as a tenant change: dropping a cache is safe
        await redis.publish(CHANNEL, '{"kind":"something_new"}')
        await _eventually(lambda: len(changes) == 3)
        unwatch()
        assert await publish_staff_revoked(redis, tenant, 8, 1)
        assert await publish_tenant_change(redis, tenant)
        await _eventually(lambda: len(changes) == 4)
        assert revoked == [StaffRevoked(tenant, 7, 3)]
    finally:
        await listener.stop()


@pytest.mark.parametrize(
    "data",
    [
        b"12",
        b"{",
        b"[]",
        b'{"kind":"staff_revoked","tenant_id":1,"user_id":2}',
        b'{"kind":"staff_revoked","tenant_id":"1","user_id":2,"token_version":1}',
        b'{"kind":"staff_revoked","tenant_id":true,"user_id":2,"token_version":1}',
        b'{"kind":"staff_revoked","tenant_id":-1,"user_id":2,"token_version":1}',
        b'{"kind":"staff_revoked","tenant_id":1,"user_id":1e30,"token_version":1}',
        b'{"kind":"staff_revoked","tenant_id":1,"user_id":10000000000000000000,"token_version":1}',
    ],
)
def test_a_malformed_revocation_is_not_one(data: bytes) -> None:
    assert parse_staff_revoked(data) is None


def test_a_revocation_reads_back() -> None:
    data = b'{"kind":"staff_revoked","tenant_id":4,"user_id":2,"token_version":9}'
    assert parse_staff_revoked(data) == StaffRevoked(4, 2, 9)


async def test_publishing_without_redis_reports_failure_and_does_not_raise() -> None:
    gone = connect_redis(f"redis://127.0.0.1:{free_port()}/0")
    try:
        assert await publish_staff_revoked(gone, 1, 2, 3) is False
        assert await publish_tenant_change(gone, 1) is False
    finally:
        await gone.aclose()
    assert await publish_staff_revoked(None, 1, 2, 3) is False
