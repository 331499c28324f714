"""Fan-out: one upstream Redis subscription per channel with local subscribers.

Each process holds one pub/sub connection. A channel key is subscribed
upstream when its first local subscriber arrives and unsubscribed when the
last one leaves. An upstream message becomes one event frame, encoded once
and pushed to every local subscriber.

A new subscriber is held in *pending* mode while its history is read: live
frames are kept aside with their offsets, then replayed after the history
minus what it already covered. :meth:`Hub.add` returns only once Redis has
confirmed the upstream subscription, so nothing published after the history
read can be missed.

A message the relay published with a trace context ends with
``,"traceparent":"00-…"}``: that member is cut off before the frame is
built (clients never see it), and the fan-out is one ``deliver {channel}``
span, child of that context, counting the sockets it reached (no span per
socket). A message without one is delivered exactly as before.

Metrics: each upstream message counts once in
``messaging.client.consumed.messages`` and the sockets it reached in
``stelly.realtime.deliveries`` (one ``add`` each per message, never per
socket), by channel template.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import deque
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from stelly_core.events import channel_template
from stelly_core.telemetry.instruments import instruments
from stelly_core.telemetry.propagation import TRACEPARENT_LENGTH, context_from_traceparent

from stelly_realtime.direct import frame_text
from stelly_realtime.offsets import Offset, parse_offset
from stelly_realtime.protocol import encode_event

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub

    from stelly_realtime.connection import Connection

__all__ = ["Hub", "Subscription", "split_traceparent"]

_log = logging.getLogger("stelly.realtime.hub")
_CONFIRM_TIMEOUT = 5.0
_PUBLISHED_PREFIX = b'{"offset":"'
_TRACE_MEMBER = b',"traceparent":"'
#: ``,"traceparent":"`` + the value + ``"}``
_TRACE_TAIL = len(_TRACE_MEMBER) + TRACEPARENT_LENGTH + 2
_tracer = trace.get_tracer("stelly.realtime")


class Subscription:
    """One socket's subscription to one channel."""

    __slots__ = ("channel", "connection", "expires_at", "floor", "pending")

    def __init__(self, connection: Connection, channel: str, expires_at: int | None = None) -> None:
        self.connection = connection
        self.channel = channel
        #: when the token that allowed it expires (epoch seconds)
        self.expires_at = expires_at
        #: live frames held back until the history has been sent
        self.pending: list[tuple[Offset, str]] | None = []
        #: live frames at or below this offset were covered by the history:
        #: pub/sub may deliver them after the history read has returned
        self.floor: Offset | None = None


class _Upstream:
    __slots__ = ("channel", "ready", "subscribers")

    def __init__(self, channel: str, ready: asyncio.Future[None]) -> None:
        self.channel = channel
        self.ready = ready
        self.subscribers: set[Subscription] = set()


class Hub:
    """The process's fan-out from Redis pub/sub to local sockets.

    Args:
        redis: the Redis client (one pub/sub connection is taken from it).
        on_upstream_reset: called when the pub/sub connection was lost and
            re-established: messages may have been missed meanwhile, so the
            caller closes the sockets to make their clients resume with ``since``.
    """

    def __init__(self, redis: Redis, *, on_upstream_reset: Callable[[], None]) -> None:
        self._redis = redis
        self._on_reset = on_upstream_reset
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._upstream: dict[str, _Upstream] = {}
        self._confirms: dict[str, deque[asyncio.Future[None]]] = {}
        self._control = f"stelly:realtime:hub:{secrets.token_hex(8)}"
        self.delivered = 0

    @property
    def channels(self) -> int:
        """Channel keys subscribed upstream."""
        return len(self._upstream)

    async def start(self) -> None:
        """Open the pub/sub connection and start reading it."""
        self._pubsub = self._redis.pubsub()
        # a channel of our own keeps the connection subscribed, so reads block
        ack = self._expect_ack(self._control)
        await self._pubsub.subscribe(self._control)
        self._reader = asyncio.create_task(self._read(), name="realtime-hub")
        await asyncio.wait_for(ack, timeout=5.0)

    async def stop(self) -> None:
        """Stop reading and close the pub/sub connection."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None
        self._upstream.clear()

    def _expect_ack(self, key: str) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirms.setdefault(key, deque()).append(future)
        return future

    async def add(self, key: str, subscription: Subscription) -> None:
        """Register a subscription (pending) and wait until its key is live upstream.

        Raises:
            RedisError, OSError, TimeoutError: when Redis does not confirm; the
                subscription is then not registered.
        """
        if self._pubsub is None:
            raise ConnectionError("the hub is not running")
        upstream = self._upstream.get(key)
        if upstream is None:
            ack = self._expect_ack(key)
            upstream = _Upstream(subscription.channel, ack)
            self._upstream[key] = upstream
            upstream.subscribers.add(subscription)
            try:
                await self._pubsub.subscribe(key)
            except BaseException:
                with contextlib.suppress(KeyError, ValueError):
                    self._confirms[key].remove(ack)
                self.discard(key, subscription)
                raise
        else:
            upstream.subscribers.add(subscription)
        try:
            await asyncio.wait_for(asyncio.shield(upstream.ready), _CONFIRM_TIMEOUT)
        except BaseException:
            self.discard(key, subscription)
            raise

    def discard(self, key: str, subscription: Subscription) -> None:
        """Remove a subscription; the last one of a key unsubscribes upstream."""
        upstream = self._upstream.get(key)
        if upstream is None or subscription not in upstream.subscribers:
            return
        upstream.subscribers.discard(subscription)
        if not upstream.subscribers:
            del self._upstream[key]
            if self._pubsub is not None:
                task = asyncio.get_running_loop().create_task(self._unsubscribe(key))
                task.add_done_callback(_ignore_result)

    async def _unsubscribe(self, key: str) -> None:
        if key in self._upstream or self._pubsub is None:
            return  # subscribed again meanwhile
        with contextlib.suppress(Exception):
            await self._pubsub.unsubscribe(key)

    async def _read(self) -> None:
        assert self._pubsub is not None
        pubsub = self._pubsub
        while True:
            try:
                message = await pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("realtime upstream lost: %s", exc)
                self._reset()
                await asyncio.sleep(0.5)
                continue
            if message is not None:
                try:
                    self._handle(message)
                except Exception:
                    _log.exception("could not deliver an upstream message")

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        key = message["channel"]
        key = key.decode() if isinstance(key, bytes) else str(key)
        if kind == "message":
            self._deliver(key, message["data"])
        elif kind == "subscribe":
            waiting = self._confirms.get(key)
            if waiting:
                future = waiting.popleft()
                if not waiting:
                    del self._confirms[key]
                if not future.done():
                    future.set_result(None)
            else:
                # redis-py re-subscribed after reconnecting: messages may be lost
                self._reset()

    def _reset(self) -> None:
        for upstream in self._upstream.values():
            if not upstream.ready.done():
                upstream.ready.set_exception(ConnectionError("upstream reset"))
                upstream.ready.exception()  # retrieved: no warning if nobody waits
        with contextlib.suppress(Exception):
            self._on_reset()

    def _deliver(self, key: str, published: Any) -> None:
        upstream = self._upstream.get(key)
        if upstream is None or not isinstance(published, bytes):
            return
        if not published.startswith(_PUBLISHED_PREFIX):
            _log.warning("ignoring a malformed event on %s", key)
            return
        end = published.index(b'"', len(_PUBLISHED_PREFIX))
        offset_text = published[len(_PUBLISHED_PREFIX) : end]
        offset = parse_offset(offset_text)
        published, traceparent = split_traceparent(published)
        span = None
        if traceparent is not None and (parent := context_from_traceparent(traceparent)):
            span = _tracer.start_span(
                f"deliver {channel_template(upstream.channel)}",
                context=parent,
                kind=trace.SpanKind.CONSUMER,
            )
        frame = encode_event(upstream.channel, published)
        wire = frame_text(frame.encode())
        sockets = held = 0
        for subscription in upstream.subscribers:
            if subscription.pending is not None:
                subscription.pending.append((offset, frame))
                held += 1
                continue
            if subscription.floor is not None:
                if offset <= subscription.floor:
                    continue
                subscription.floor = None  # in order from here on
            subscription.connection.push(frame, wire)
            sockets += 1
        self.delivered += 1
        meters = instruments()
        attributes = _metric_attributes(upstream.channel)
        meters.events_consumed.add(1, attributes)
        if sockets:
            meters.event_deliveries.add(sockets, attributes)
        if span is not None:
            if span.is_recording():
                span.set_attributes(
                    {
                        "messaging.system": "redis",
                        "messaging.operation.name": "deliver",
                        "messaging.operation.type": "process",
                        "messaging.destination.name": key,
                        "messaging.destination.template": channel_template(upstream.channel),
                        "messaging.message.id": offset_text.decode(),
                        "stelly.realtime.channel": upstream.channel,
                        "stelly.realtime.sockets": sockets,
                        "stelly.realtime.held_sockets": held,
                    }
                )
            span.end()


_METRIC_ATTRIBUTES: dict[str, dict[str, str]] = {}


def _metric_attributes(channel: str) -> dict[str, str]:
    """The (bounded) metric attributes of a channel's events: its template, made once."""
    template = channel_template(channel)
    attributes = _METRIC_ATTRIBUTES.get(template)
    if attributes is None:
        attributes = _METRIC_ATTRIBUTES[template] = {
            "messaging.system": "redis",
            "messaging.destination.template": template,
        }
    return attributes


def split_traceparent(published: bytes) -> tuple[bytes, bytes | None]:
    """Cut the trace context member off a published event, if it ends with one.

    Returns:
        The event as clients see it, and its ``traceparent`` (``None`` without one).
    """
    if (
        len(published) > _TRACE_TAIL
        and published.endswith(b'"}')
        and published[-_TRACE_TAIL : -_TRACE_TAIL + len(_TRACE_MEMBER)] == _TRACE_MEMBER
    ):
        return published[:-_TRACE_TAIL] + b"}", published[-2 - TRACEPARENT_LENGTH : -2]
    return published, None


def _ignore_result(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()
