"""Entra ID auth for Redis, with a FAKE credential: there is no Azure here.

The test session's real Valkey gets an ACL user named like the identity's
object id whose password is the fake token of the moment (``ACL SETUSER``),
which is exactly how Azure Managed Redis checks an Entra token: user = oid,
password = token. A fake clock drives the provider's expiry decisions; the
pub/sub recycle uses short-lived fake tokens on the real clock.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from redis.exceptions import AuthenticationError, ResponseError
from stelly_core.pubsub import PubSubListener
from stelly_core.redis import ENTRA_REDIS_SCOPE, EntraCredentialProvider, connect_redis
from stelly_core.settings import RedisAuth

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from redis.asyncio import Redis

pytestmark = pytest.mark.asyncio


@dataclass(frozen=True)
class FakeAccessToken:
    token: str
    expires_on: int


def fake_jwt(oid: str, serial: int) -> str:
    """A JWT-shaped fake token: only the payload's ``oid`` matters to the client."""

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'oid': oid, 'n': serial})}.fake-signature"


class FakeCredential:
    """Stands in for azure-identity's DefaultAzureCredential (aio): no Azure here."""

    def __init__(self, oid: str, clock: Callable[[], float], *lifetimes: float) -> None:
        self.oid = oid
        self.clock = clock
        self.lifetimes = lifetimes  # of the tokens in order; the last one repeats
        self.scopes: list[tuple[str, ...]] = []
        self.issued: list[str] = []

    async def get_token(self, *scopes: str) -> FakeAccessToken:
        self.scopes.append(scopes)
        serial = len(self.issued)
        token = fake_jwt(self.oid, serial)
        self.issued.append(token)
        lifetime = self.lifetimes[min(serial, len(self.lifetimes) - 1)]
        return FakeAccessToken(token, int(self.clock() + lifetime))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def admin(redis: Redis) -> Redis:
    """The session's Valkey as its default user: the ACL administrator here."""
    return redis


@pytest.fixture
async def oid(admin: Redis) -> AsyncIterator[str]:
    name = f"00000000-test-{secrets.token_hex(4)}"
    yield name
    await acl(admin, "DELUSER", name)


async def acl(admin: Redis, *args: str) -> None:
    await admin.execute_command("ACL", *args)  # type: ignore[no-untyped-call]


async def whoami(client: Redis) -> bytes:
    user: bytes = await client.execute_command("ACL", "WHOAMI")  # type: ignore[no-untyped-call]
    return user


async def accept_only(admin: Redis, user: str, token: str) -> None:
    """Make ``token`` the one password of ``user``, as Entra's rotation would."""
    await acl(admin, "SETUSER", user, "on", "resetpass", f">{token}", "~*", "&*", "+@all")


async def auth_calls(admin: Redis) -> int:
    stats = await admin.info("commandstats")
    entry = stats.get("cmdstat_auth")
    return int(entry["calls"]) if entry else 0


async def test_the_token_is_the_password_and_the_oid_the_user(
    admin: Redis, redis_url: str, oid: str
) -> None:
    clock = FakeClock()
    credential = FakeCredential(oid, clock, 3600)
    provider = EntraCredentialProvider(credential, clock=clock)
    await accept_only(admin, oid, fake_jwt(oid, 0))
    client = connect_redis(redis_url, RedisAuth.ENTRA, provider=provider)
    try:
        assert await whoami(client) == oid.encode()
        assert credential.scopes == [(ENTRA_REDIS_SCOPE,)]
        # a token the server does not know is refused: the password really is the token
        stale = connect_redis(redis_url.replace("redis://", f"redis://{oid}:wrong@"))
        with pytest.raises((AuthenticationError, ResponseError)):
            await stale.ping()
        await stale.aclose()
    finally:
        await client.aclose()


async def test_a_token_near_expiry_is_refreshed_and_live_connections_reauthenticate(
    admin: Redis, redis_url: str, oid: str
) -> None:
    clock = FakeClock()
    credential = FakeCredential(oid, clock, 3600)
    provider = EntraCredentialProvider(credential, clock=clock)
    await accept_only(admin, oid, fake_jwt(oid, 0))
    client = connect_redis(redis_url, RedisAuth.ENTRA, provider=provider)
    try:
        await client.set(f"entra:{oid}", "1")
        connection_id = await client.client_id()
        # more than the margin left: the same token is reused, no new AUTH
        clock.now += 3600 - 301
        before = await auth_calls(admin)
        assert await client.get(f"entra:{oid}") == b"1"
        assert len(credential.issued) == 1
        assert await auth_calls(admin) == before

        # under 5 minutes left: the rotation happens before the token expires
        clock.now += 2
        await accept_only(admin, oid, fake_jwt(oid, 1))  # the old token is now refused
        assert await client.get(f"entra:{oid}") == b"1"  # same pooled connection
        assert len(credential.issued) == 2
        assert await auth_calls(admin) == before + 1  # it sent AUTH <oid> <new token>
        assert await client.client_id() == connection_id  # re-AUTHed, not reconnected

        # a connection opened after the refresh authenticates with the new token
        other = connect_redis(redis_url, RedisAuth.ENTRA, provider=provider)
        try:
            assert await whoami(other) == oid.encode()
        finally:
            await other.aclose()
        assert len(credential.issued) == 2  # shared, not fetched per connection
    finally:
        await client.aclose()
        await admin.delete(f"entra:{oid}")


async def test_a_subscriber_is_recycled_before_its_token_expires(
    admin: Redis, redis_url: str, oid: str
) -> None:
    # a short-lived first fake token on the real clock: about 2 s past the
    # 5-minute margin; the next one lives an hour
    credential = FakeCredential(oid, time.time, 302, 3600)
    provider = EntraCredentialProvider(credential)
    await accept_only(admin, oid, fake_jwt(oid, 0))
    client = connect_redis(redis_url, RedisAuth.ENTRA, provider=provider)
    channel = f"entra:{oid}"
    received: asyncio.Queue[bytes] = asyncio.Queue()
    connects = 0

    def on_connect() -> None:
        nonlocal connects
        connects += 1

    listener = PubSubListener(
        client,
        lambda _channel, data: received.put_nowait(data),
        channels=[channel],
        on_connect=on_connect,
    )
    listener.start()
    try:
        await asyncio.wait_for(listener.subscribed.wait(), 5)
        await admin.publish(channel, "before")
        assert await asyncio.wait_for(received.get(), 5) == b"before"

        # the next token is the only one accepted from now on; the subscriber
        # must leave its connection before the first one expires and come back
        await accept_only(admin, oid, fake_jwt(oid, 1))

        async def resubscribed_with_new_token() -> None:
            # polls the server's view: there is no event to wait on
            for _ in range(1000):
                if len(credential.issued) >= 2 and await admin.pubsub_numsub(channel) == [
                    (channel.encode(), 1)
                ]:
                    return
                await asyncio.sleep(0.05)

        await asyncio.wait_for(resubscribed_with_new_token(), 10)
        await admin.publish(channel, "after")
        assert await asyncio.wait_for(received.get(), 5) == b"after"
        clients = await admin.client_list()
        assert [c for c in clients if c.get("user") == oid]  # still signed in as the oid
        assert connects >= 1
    finally:
        await listener.stop()
        await client.aclose()


async def test_password_mode_ignores_entra(redis_url: str) -> None:
    client = connect_redis(redis_url, RedisAuth.PASSWORD)
    try:
        assert await client.ping()
        assert client.connection_pool.connection_kwargs.get("credential_provider") is None
    finally:
        await client.aclose()
