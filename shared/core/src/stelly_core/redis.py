"""The process's Redis client (redis-py asyncio), with password or Entra ID auth.

With ``STELLY_REDIS_AUTH=password`` the URL carries whatever credentials the
server needs (none locally). With ``STELLY_REDIS_AUTH=entra`` (Azure Managed
Redis) no secret exists: every connection authenticates as the process's
managed identity, user name = the identity's object id (the token's ``oid``
claim), password = an Entra access token for ``https://redis.azure.com/.default``.

Invariants of the Entra mode:

- A token is fetched once and shared; it is replaced when less than
  ``refresh_margin`` seconds (5 minutes) of it are left, so a new connection
  never authenticates with a token about to expire.
- Azure Managed Redis drops a connection whose token expires unless the
  client sent ``AUTH`` with a newer one. A pooled connection remembers the
  expiry of the token it authenticated with and, before its next command once
  that expiry is within the margin, sends ``AUTH <oid> <new token>`` in band
  (the connection belongs to that one command: no reply can be mixed up).
- A pub/sub connection cannot do that: under RESP2 a subscribed connection
  accepts only (P)SUBSCRIBE/UNSUBSCRIBE/PING/QUIT/RESET, and its reply stream
  belongs to the reading task. It is therefore recycled instead: a timer
  closes it ``refresh_margin`` seconds before its token expires, and it is
  reopened (with a fresh token) and resubscribed through the reconnect path
  every subscriber already has for Redis outages (redis-py's resubscription,
  then :class:`stelly_core.pubsub.PubSubListener`'s backoff and ``on_connect``
  "messages may have been missed"). Managed identity tokens live about a day,
  so this happens about once a day per subscriber.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from typing import TYPE_CHECKING, Any, Protocol, cast

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.credentials import CredentialProvider

from stelly_core.settings import RedisAuth

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis.asyncio.connection import AbstractConnection

__all__ = [
    "ENTRA_REDIS_SCOPE",
    "REFRESH_MARGIN",
    "EntraCredentialProvider",
    "TokenCredential",
    "connect_redis",
]

#: The scope of an Azure Managed Redis (and Azure Cache for Redis) data-plane token.
ENTRA_REDIS_SCOPE = "https://redis.azure.com/.default"
#: Seconds before a token's expiry from which it is replaced and connections re-authenticate.
REFRESH_MARGIN = 300.0


class _AccessToken(Protocol):
    @property
    def token(self) -> str: ...

    @property
    def expires_on(self) -> int: ...


class TokenCredential(Protocol):
    """What the provider needs of an azure-identity async credential."""

    async def get_token(self, *scopes: str) -> _AccessToken: ...


def _oid_claim(token: str) -> str | None:
    """The ``oid`` claim of a JWT, read without verification (it is our own token)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    oid = claims.get("oid") if isinstance(claims, dict) else None
    return oid if isinstance(oid, str) and oid else None


class EntraCredentialProvider(CredentialProvider):
    """Entra ID credentials for redis-py: ``(object id, access token)``, refreshed early.

    Args:
        credential: an async token credential (``DefaultAzureCredential`` from
            ``azure.identity.aio`` in production; a fake in tests).
        username: the user name when the token carries no ``oid`` claim.
        scope: the token scope.
        refresh_margin: seconds before expiry from which a token is replaced.
        clock: seconds since the epoch (the clock of ``expires_on``).
    """

    def __init__(
        self,
        credential: TokenCredential,
        *,
        username: str | None = None,
        scope: str = ENTRA_REDIS_SCOPE,
        refresh_margin: float = REFRESH_MARGIN,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credential = credential
        self._username = username
        self._scope = scope
        self.refresh_margin = refresh_margin
        self.clock = clock
        self._token: str | None = None
        self._user: str | None = None
        self._expires_on = 0.0
        self._lock = asyncio.Lock()

    def due(self, expires_on: float) -> bool:
        """Whether a token expiring at ``expires_on`` must be replaced now."""
        return expires_on - self.clock() < self.refresh_margin

    @property
    def expires_on(self) -> float | None:
        """The expiry of the current token, if one was fetched."""
        return self._expires_on if self._token is not None else None

    async def current(self) -> tuple[str, str, float]:
        """The user name, a token with more than the margin left, and its expiry."""
        async with self._lock:
            if self._token is None or self.due(self._expires_on):
                access = await self._credential.get_token(self._scope)
                user = _oid_claim(access.token) or self._username
                if not user:
                    raise RuntimeError(
                        "the Entra token has no oid claim and no Redis user name was given"
                    )
                self._token, self._user = access.token, user
                self._expires_on = float(access.expires_on)
            assert self._user is not None
            return self._user, self._token, self._expires_on

    def get_credentials(self) -> tuple[str, str]:
        raise NotImplementedError("Entra credentials are only available to the asyncio client")

    async def get_credentials_async(self) -> tuple[str, str]:
        user, token, _ = await self.current()
        return user, token


class _EntraConnection:
    """Mixed into the pool's connection class in Entra mode (see the module docstring)."""

    credential_provider: Any
    _stelly_expires_on: float | None = None
    #: set while the connection serves a pub/sub subscription
    stelly_subscriber: bool = False
    _stelly_recycle: asyncio.TimerHandle | None = None

    def _provider(self) -> EntraCredentialProvider:
        return cast("EntraCredentialProvider", self.credential_provider)

    async def on_connect_check_health(self, check_health: bool = True) -> None:
        provider = self._provider()
        self._stelly_expires_on = None
        before = provider.expires_on
        await super().on_connect_check_health(check_health)  # type: ignore[misc]
        after = provider.expires_on
        # the token used is the current one before or after: keep the earlier
        # expiry (at worst one AUTH too early, never one too late)
        known = [value for value in (before, after) if value is not None]
        self._stelly_expires_on = min(known) if known else None
        if self.stelly_subscriber:
            self.arm_recycle()

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        expires_on = self._stelly_expires_on
        if (
            expires_on is not None
            and not self.stelly_subscriber
            and self.is_connected  # type: ignore[attr-defined]
            and self._provider().due(expires_on)
        ):
            await self._reauthenticate()
        await super().send_packed_command(command, check_health)  # type: ignore[misc]

    async def _reauthenticate(self) -> None:
        user, token, expires_on = await self._provider().current()
        self._stelly_expires_on = None  # the AUTH below must not recurse
        conn = cast("AbstractConnection", self)
        try:
            await conn.send_command("AUTH", user, token, check_health=False)
            await conn.read_response()
        except BaseException:
            await conn.disconnect()
            raise
        self._stelly_expires_on = expires_on

    def arm_recycle(self) -> None:
        """Close this (subscribed) connection ``refresh_margin`` before its token expires."""
        self.cancel_recycle()
        if self._stelly_expires_on is None:
            return
        provider = self._provider()
        delay = max(0.0, self._stelly_expires_on - provider.refresh_margin - provider.clock())
        self._stelly_recycle = asyncio.get_running_loop().call_later(delay, self._recycle)

    def cancel_recycle(self) -> None:
        if self._stelly_recycle is not None:
            self._stelly_recycle.cancel()
            self._stelly_recycle = None

    def _recycle(self) -> None:
        self._stelly_recycle = None
        conn = cast("AbstractConnection", self)
        task = asyncio.get_running_loop().create_task(conn.disconnect(nowait=True))
        task.add_done_callback(_ignore_result)

    async def disconnect(self, *args: Any, **kwargs: Any) -> None:
        self.cancel_recycle()
        await super().disconnect(*args, **kwargs)  # type: ignore[misc]


def _ignore_result(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


class _EntraPubSub(PubSub):
    """Marks its connection as a subscriber, so it is recycled instead of re-AUTHed."""

    async def connect(self) -> None:
        await super().connect()  # type: ignore[no-untyped-call]
        conn = self.connection
        if isinstance(conn, _EntraConnection) and not conn.stelly_subscriber:
            conn.stelly_subscriber = True
            conn.arm_recycle()

    async def aclose(self) -> None:
        conn = getattr(self, "connection", None)
        await super().aclose()  # type: ignore[no-untyped-call]
        if isinstance(conn, _EntraConnection):
            conn.cancel_recycle()
            conn.stelly_subscriber = False


class _EntraRedis(Redis):
    def pubsub(self, **kwargs: Any) -> PubSub:
        return _EntraPubSub(
            self.connection_pool,
            event_dispatcher=self._event_dispatcher,
            **kwargs,
        )


def _options() -> dict[str, Any]:
    return {
        "socket_connect_timeout": 2.0,
        "socket_timeout": 5.0,
        "health_check_interval": 30,
        "retry_on_timeout": False,
    }


def connect_redis(
    url: str,
    auth: RedisAuth = RedisAuth.PASSWORD,
    *,
    credential: TokenCredential | None = None,
    provider: EntraCredentialProvider | None = None,
) -> Redis:
    """Build a pooled Redis client with bounded timeouts.

    Args:
        url: a ``redis://``, ``rediss://`` or ``unix://`` URL (Azure Managed
            Redis: ``rediss://<host>:10000``, no credentials in it).
        auth: ``password`` (whatever the URL carries) or ``entra``.
        credential: the Entra credential; ``DefaultAzureCredential`` (aio) when
            omitted. Only for ``entra``.
        provider: a ready credential provider (tests); overrides ``credential``.

    Returns:
        The client; it connects on first use.
    """
    if auth is not RedisAuth.ENTRA:
        client: Redis = Redis.from_url(url, **_options())
        return client
    if provider is None:
        if credential is None:
            from azure.identity.aio import DefaultAzureCredential

            credential = cast("TokenCredential", DefaultAzureCredential())
        provider = EntraCredentialProvider(credential)
    pool = ConnectionPool.from_url(url, credential_provider=provider, **_options())
    base = pool.connection_class
    pool.connection_class = type(f"Entra{base.__name__}", (_EntraConnection, base), {})
    return _EntraRedis.from_pool(pool)
