"""One socket's protocol: subscribe, recover, unsubscribe, refuse.

Plain code over a :class:`~stelly_realtime.connection.Connection`, the
:class:`~stelly_realtime.hub.Hub` and the stream reader; the Litestar route
only feeds it frames.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from stelly_core.errors import is_unavailable
from stelly_core.events import RETENTION_SECONDS, channel_key, channel_template, validate_channel
from stelly_core.telemetry.instruments import instruments

from stelly_realtime.access import authorize_subscription
from stelly_realtime.hub import Subscription
from stelly_realtime.offsets import (
    Offset,
    format_offset,
    is_recoverable,
    offset_before,
    parse_offset,
)
from stelly_realtime.protocol import (
    decode_command,
    encode_error,
    encode_stored_event,
    encode_subscribed,
    encode_unsubscribed,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from stelly_core.auth import Claims
    from stelly_tenancy.models import Tenant

    from stelly_realtime.config import RealtimeConfig
    from stelly_realtime.connection import Connection
    from stelly_realtime.history import History, HistoryReader
    from stelly_realtime.hub import Hub
    from stelly_realtime.protocol import Command

__all__ = ["CLOSE_MESSAGE_TOO_BIG", "Session"]

_log = logging.getLogger("stelly.realtime.session")
CLOSE_MESSAGE_TOO_BIG = 1009
_RETENTION_MS = RETENTION_SECONDS * 1000


class Session:
    """The subscriptions of one socket on one tenant's host."""

    __slots__ = (
        "_config",
        "_history",
        "_hub",
        "_reads",
        "_secret",
        "_staff_check",
        "connection",
        "staff_grants",
        "subscriptions",
        "tenant",
    )

    def __init__(
        self,
        connection: Connection,
        tenant: Tenant,
        *,
        hub: Hub,
        history: HistoryReader,
        reads: asyncio.Semaphore,
        config: RealtimeConfig,
        secret: str,
        staff_check: Callable[[Tenant, Claims], Awaitable[bool]] | None = None,
    ) -> None:
        self.connection = connection
        self.tenant = tenant
        self.subscriptions: dict[str, Subscription] = {}
        #: the staff token's claims of each subscription a staff token admitted
        self.staff_grants: dict[str, Claims] = {}
        self._staff_check = staff_check
        self._hub = hub
        self._history = history
        self._reads = reads
        self._config = config
        self._secret = secret

    @property
    def tenant_id(self) -> int:
        """The id of the tenant whose host the socket came in on."""
        return self.tenant.id

    async def handle_text(self, text: str) -> None:
        """Act on one text frame from the client."""
        if len(text) > self._config.max_message_bytes:
            self.connection.close(CLOSE_MESSAGE_TOO_BIG, "message_too_big")
            return
        command = decode_command(text)
        if command is None:
            self.connection.push(encode_error("invalid_message"))
        elif command.op == "subscribe":
            await self._subscribe(command)
        else:
            self._unsubscribe(command.channel)

    def expire(self, now: float) -> None:
        """End the subscriptions whose token has expired, telling the client."""
        for channel, subscription in list(self.subscriptions.items()):
            if subscription.expires_at is not None and subscription.expires_at <= now:
                self._drop(channel)
                self.connection.push(encode_error("token_expired", channel))

    def close(self) -> None:
        """Drop every subscription (the socket is gone)."""
        for channel in list(self.subscriptions):
            self._drop(channel)

    def revoke(self, channel: str) -> None:
        """End a subscription whose staff user was disabled (or whose token was revoked)."""
        if channel in self.subscriptions:
            self._drop(channel)
            self.connection.push(encode_error("invalid_token", channel))

    def _drop(self, channel: str) -> None:
        self.staff_grants.pop(channel, None)
        subscription = self.subscriptions.pop(channel, None)
        if subscription is not None:
            instruments().websocket_subscriptions.add(-1, _metric_attributes(channel))
            self._hub.discard(channel_key(self.tenant_id, channel), subscription)

    def _unsubscribe(self, channel: str) -> None:
        if channel not in self.subscriptions:
            known = channel if _is_valid(channel) else None
            self.connection.push(encode_error("not_subscribed", known))
            return
        self._drop(channel)
        self.connection.push(encode_unsubscribed(channel))

    async def _subscribe(self, command: Command) -> None:
        channel = command.channel
        decision = authorize_subscription(
            channel, command.token, tenant_id=self.tenant_id, secret=self._secret
        )
        refusal = decision.code
        if refusal is not None:
            known = None if refusal == "invalid_channel" else channel
            self.connection.push(encode_error(refusal, known))
            return
        if channel in self.subscriptions:
            self.connection.push(encode_error("already_subscribed", channel))
            return
        if decision.staff is not None and not await self._staff_still_valid(
            decision.staff, channel
        ):
            return
        if len(self.subscriptions) >= self._config.max_subscriptions:
            self.connection.push(encode_error("too_many_subscriptions", channel))
            return
        since: Offset | None = None
        if command.since is not None:
            try:
                since = parse_offset(command.since)
            except ValueError:
                self.connection.push(encode_error("invalid_offset", channel))
                return
        key = channel_key(self.tenant_id, channel)
        subscription = Subscription(self.connection, channel, decision.expires_at)
        self.subscriptions[channel] = subscription
        if decision.staff is not None:
            self.staff_grants[channel] = decision.staff
        instruments().websocket_subscriptions.add(1, _metric_attributes(channel))
        try:
            await self._hub.add(key, subscription)
            async with self._reads:
                history = await self._history.read(key, since, limit=self._config.max_recover + 1)
        except (RedisError, OSError, TimeoutError) as exc:
            _log.warning("subscribe to %s failed: %s", key, exc)
            self._drop(channel)
            self.connection.push(encode_error("unavailable", channel))
            return
        if self.subscriptions.get(channel) is not subscription:
            return  # gone meanwhile
        self._start(subscription, since, history)

    async def _staff_still_valid(self, claims: Claims, channel: str) -> bool:
        """Whether the staff token's user is active with that token version; else say why."""
        if self._staff_check is None:
            return True
        try:
            valid = await self._staff_check(self.tenant, claims)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            _log.warning("staff check for %s failed: %s", channel, exc)
            self.connection.push(encode_error("unavailable", channel))
            return False
        if not valid:
            self.connection.push(encode_error("invalid_token", channel))
        return valid

    def _start(self, subscription: Subscription, since: Offset | None, history: History) -> None:
        channel = subscription.channel
        stream = history.stream
        top = stream.last_id if stream is not None else offset_before(history.now_ms)
        recovered = (
            since is not None
            and len(history.events) <= self._config.max_recover
            and is_recoverable(
                since, stream=stream, now_ms=history.now_ms, retention_ms=_RETENTION_MS
            )
        )
        push = self.connection.push
        push(encode_subscribed(channel, format_offset(top), recovered=recovered))
        if recovered:
            for event in history.events:
                push(encode_stored_event(channel, event.offset, event.type, event.data))
        pending, subscription.pending = subscription.pending or [], None
        subscription.floor = top
        for offset, frame in pending:
            if offset > top:
                push(frame)
                subscription.floor = None


def _metric_attributes(channel: str) -> dict[str, str]:
    """Bounded: the channel's template (``order:{id}``), never the id or the tenant."""
    return {"messaging.destination.template": channel_template(channel)}


def _is_valid(channel: str) -> bool:
    try:
        validate_channel(channel)
    except ValueError:
        return False
    return True
