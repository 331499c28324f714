"""The fan-out hub on real Valkey: two hubs stand for two replicas."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from stelly_core.events import channel_key, publish_event
from stelly_realtime.history import HistoryReader
from stelly_realtime.hub import Hub, Subscription
from stelly_realtime.offsets import parse_offset

pytestmark = pytest.mark.redis_cluster  # each test on standalone and cluster-mode Valkey


class Recorder:
    """Stands in for a socket's Connection: records what is pushed."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.wires: list[bytes | None] = []

    def push(self, text: str, wire: bytes | None = None) -> None:
        self.frames.append(text)
        self.wires.append(wire)


async def _eventually(condition: object) -> None:
    for _ in range(500):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


@pytest.fixture
async def hubs(redis: Redis) -> AsyncIterator[tuple[Hub, Hub]]:
    resets: list[int] = []
    a = Hub(redis, on_upstream_reset=lambda: resets.append(1))
    b = Hub(redis, on_upstream_reset=lambda: resets.append(1))
    await a.start()
    await b.start()
    yield a, b
    await a.stop()
    await b.stop()
    assert resets == []


def _live(recorder: Recorder, channel: str) -> Subscription:
    subscription = Subscription(recorder, channel)  # type: ignore[arg-type]
    return subscription


async def test_one_message_reaches_every_subscriber_on_every_replica_encoded_once(
    hubs: tuple[Hub, Hub], redis: Redis
) -> None:
    a, b = hubs
    tenant = 10_000 + secrets.randbelow(10**6)
    key = channel_key(tenant, "kitchen")
    recorders = [Recorder() for _ in range(4)]
    for n, recorder in enumerate(recorders):
        subscription = _live(recorder, "kitchen")
        await (a if n < 2 else b).add(key, subscription)
        subscription.pending = None
    assert (a.channels, b.channels) == (1, 1)
    offset = await publish_event(redis, tenant, "kitchen", "order.created", b'{"id":1}')
    await _eventually(lambda: all(r.frames for r in recorders))
    frames = [r.frames[0] for r in recorders]
    assert f'"offset":"{offset}"' in frames[0]
    assert frames[0] is frames[1]  # the same objects: encoded and framed once per replica
    assert frames[2] is frames[3]
    assert recorders[0].wires[0] is recorders[1].wires[0]
    assert recorders[0].wires[0] == b"\x81" + bytes([len(frames[0])]) + frames[0].encode()


async def test_pending_subscribers_hold_frames_with_their_offsets(
    hubs: tuple[Hub, Hub], redis: Redis
) -> None:
    a, _ = hubs
    tenant = 10_000 + secrets.randbelow(10**6)
    recorder = Recorder()
    subscription = _live(recorder, "menu")
    await a.add(channel_key(tenant, "menu"), subscription)
    offset = await publish_event(redis, tenant, "menu", "menu.updated", b"{}")
    await _eventually(lambda: bool(subscription.pending))
    assert recorder.frames == []
    assert subscription.pending is not None
    assert [held for held, _ in subscription.pending] == [tuple(map(int, offset.split("-")))]


async def test_the_last_subscriber_leaving_unsubscribes_upstream(
    hubs: tuple[Hub, Hub], redis: Redis
) -> None:
    a, _ = hubs
    tenant = 10_000 + secrets.randbelow(10**6)
    key = channel_key(tenant, "menu")
    first, second = _live(Recorder(), "menu"), _live(Recorder(), "menu")
    await a.add(key, first)
    await a.add(key, second)
    a.discard(key, first)
    assert a.channels == 1
    a.discard(key, second)
    assert a.channels == 0

    async def numsub() -> int:
        counts = await redis.pubsub_numsub(key)
        return int(counts[0][1])

    for _ in range(200):
        if await numsub() == 0:
            break
        await asyncio.sleep(0.01)
    assert await numsub() == 0
    # and it can come back at once
    again = _live(Recorder(), "menu")
    await a.add(key, again)
    assert await numsub() == 1


async def test_subscriptions_of_different_tenants_do_not_mix(
    hubs: tuple[Hub, Hub], redis: Redis
) -> None:
    a, _ = hubs
    pizza, burger = (10_000 + secrets.randbelow(10**6) for _ in range(2))
    pizza_rec, burger_rec = Recorder(), Recorder()
    for tenant, recorder in ((pizza, pizza_rec), (burger, burger_rec)):
        subscription = _live(recorder, "kitchen")
        await a.add(channel_key(tenant, "kitchen"), subscription)
        subscription.pending = None
    await publish_event(redis, pizza, "kitchen", "order.created", b'{"pizza":true}')
    await publish_event(redis, burger, "kitchen", "order.created", b'{"burger":true}')
    await _eventually(lambda: bool(pizza_rec.frames and burger_rec.frames))
    assert ["pizza" in f for f in pizza_rec.frames] == [True]
    assert ["burger" in f for f in burger_rec.frames] == [True]


async def test_live_frames_already_covered_by_history_are_dropped(
    hubs: tuple[Hub, Hub],
) -> None:
    # pub/sub can hand over a message after the history read that included it
    # has returned: the floor keeps it from going out twice
    a, _ = hubs
    tenant = 10_000 + secrets.randbelow(10**6)
    key = channel_key(tenant, "menu")
    recorder = Recorder()
    subscription = _live(recorder, "menu")
    await a.add(key, subscription)
    subscription.pending = None
    subscription.floor = (100, 1)
    for offset in ("100-0", "100-1", "100-2", "101-0"):
        a._deliver(key, b'{"offset":"%s","type":"menu.updated","data":{}}' % offset.encode())
    offsets = [json.loads(frame)["offset"] for frame in recorder.frames]
    assert offsets == ["100-2", "101-0"]
    assert subscription.floor is None


async def test_history_reads_back_what_was_published(redis: Redis) -> None:
    tenant = 10_000 + secrets.randbelow(10**6)
    key = channel_key(tenant, "kitchen")
    first = await publish_event(redis, tenant, "kitchen", "order.created", b'{"n":1}')
    second = await publish_event(redis, tenant, "kitchen", "order.updated", b'{"n":2}')
    history = await HistoryReader(redis).read(key, parse_offset(first), limit=10)
    assert [event.offset for event in history.events] == [second]
    assert history.stream is not None and history.stream.length == 2
