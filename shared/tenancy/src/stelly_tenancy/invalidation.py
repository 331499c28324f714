"""Cross-replica invalidation through Redis pub/sub: tenant changes and staff revocations.

One channel carries two kinds of notice. A tenant change (the bare tenant id,
as ever) makes every process drop its cached resolutions. A staff revocation
(``{"kind":"staff_revoked","tenant_id":…,"user_id":…,"token_version":…}``,
published when an account is disabled or its password reset) tells the
processes that hold long-lived grants of that user (realtime subscriptions)
to end those issued before ``token_version``; HTTP needs no notice, it reads
the user's row on every request. A notice of a kind this code does not know
is treated as a tenant change (dropping a cache is always safe), and an older
listener treats every notice so.

Pub/sub is best effort, on a standalone server and in cluster mode alike
(classic ``PUBLISH`` reaches subscribers on every node): a publish that fails
is logged and the caller carries on, and a listener that lost Redis may have
missed notices, so on every (re)connect it clears the tenant cache and asks
its staff watchers to re-check. Meanwhile the cache TTL bounds how stale a
tenant can be, and each watcher's periodic re-check (realtime's sweep) how
long a revoked grant can live.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from stelly_core.pubsub import PubSubListener

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis.asyncio import Redis

__all__ = [
    "CHANNEL",
    "InvalidationListener",
    "StaffRevoked",
    "parse_staff_revoked",
    "publish_staff_revoked",
    "publish_tenant_change",
]

CHANNEL = "stelly:tenants:changed"
_STAFF_REVOKED = "staff_revoked"
_MAX_ID = 10**18
_log = logging.getLogger("stelly.tenancy.invalidation")


@dataclass(frozen=True, slots=True)
class StaffRevoked:
    """Every token of ``user_id`` in ``tenant_id`` with a version below ``token_version`` is dead."""

    tenant_id: int
    user_id: int
    token_version: int


async def _publish(redis: Redis | None, message: str, what: str, fallback: str) -> bool:
    if redis is None:
        return False
    try:
        await redis.publish(CHANNEL, message)
    except (RedisError, OSError) as exc:
        _log.warning("%s not broadcast (%s): %s", what, fallback, exc)
        return False
    return True


async def publish_tenant_change(redis: Redis | None, tenant_id: int) -> bool:
    """Tell every replica that a tenant changed.

    Args:
        redis: the Redis client; ``None`` skips publishing.
        tenant_id: the tenant that changed.

    Returns:
        Whether the message was published; when not, caches expire by TTL.
    """
    return await _publish(redis, str(tenant_id), "tenant change", "caches expire by TTL")


async def publish_staff_revoked(
    redis: Redis | None, tenant_id: int, user_id: int, token_version: int
) -> bool:
    """Tell every replica that a staff user's tokens below ``token_version`` are dead.

    Call it after the transaction that bumped the version has committed. It
    never raises for Redis: a lost notice only delays the end of live grants
    until the watchers' next periodic re-check.

    Args:
        redis: the Redis client; ``None`` skips publishing.
        tenant_id: the user's tenant.
        user_id: the staff user.
        token_version: the user's new token version.

    Returns:
        Whether the notice was published.
    """
    notice = {
        "kind": _STAFF_REVOKED,
        "tenant_id": tenant_id,
        "user_id": user_id,
        "token_version": token_version,
    }
    return await _publish(
        redis, json.dumps(notice, separators=(",", ":")), "staff revocation", "swept later"
    )


def parse_staff_revoked(data: object) -> StaffRevoked | None:
    """The staff revocation ``data`` carries, or ``None`` when it is not one."""
    if isinstance(data, str):
        data = data.encode()
    if not isinstance(data, bytes) or not data.startswith(b"{"):
        return None
    try:
        notice = json.loads(data)
    except ValueError:
        return None
    if not isinstance(notice, dict) or notice.get("kind") != _STAFF_REVOKED:
        return None
    values = [notice.get(name) for name in ("tenant_id", "user_id", "token_version")]
    if not all(type(v) is int and 0 <= v < _MAX_ID for v in values):
        return None
    return StaffRevoked(*values)  # type: ignore[arg-type]


class InvalidationListener(PubSubListener):
    """Calls ``on_change`` for every tenant change and after every (re)connect,
    and each staff watcher for every staff revocation.

    Args:
        redis: the Redis client (one pub/sub connection is taken from it).
        on_change: drops the tenant cache.
    """

    def __init__(self, redis: Redis, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._watchers: list[
            tuple[Callable[[StaffRevoked], object], Callable[[], None] | None]
        ] = []
        super().__init__(
            redis,
            self._dispatch,
            channels=(CHANNEL,),
            on_connect=self._connected,
            name="tenant-invalidation",
        )

    def watch_staff(
        self,
        on_revoked: Callable[[StaffRevoked], object],
        on_missed: Callable[[], None] | None = None,
    ) -> Callable[[], None]:
        """Call ``on_revoked`` for every staff revocation from now on.

        Args:
            on_revoked: ends what the notice revokes; it must not block.
            on_missed: called after every (re)connect, when notices may have
                been missed: the watcher re-checks its grants.

        Returns:
            A function that stops the watch.
        """
        watcher = (on_revoked, on_missed)
        self._watchers.append(watcher)

        def unwatch() -> None:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

        return unwatch

    def _connected(self) -> None:
        # anything may have changed while we were not listening
        self._on_change()
        for _, on_missed in list(self._watchers):
            if on_missed is not None:
                try:
                    on_missed()
                except Exception:
                    _log.exception("a staff watcher failed to re-check")

    def _dispatch(self, _channel: bytes, data: bytes) -> None:
        if isinstance(data, bytes) and data.isdigit():
            self._on_change()
            return
        notice = parse_staff_revoked(data)
        if notice is None:
            self._on_change()  # unknown: dropping the cache is always safe
            return
        for on_revoked, _ in list(self._watchers):
            try:
                on_revoked(notice)
            except Exception:
                _log.exception("a staff watcher failed on %s", notice)
