"""A dependency that is down answers 503 ``unavailable`` with ``Retry-After``, never 500."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis.exceptions
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from stelly_core.errors import ProblemError, exception_handlers, is_unavailable
from stelly_core.localstack import EmbeddedValkey
from stelly_core.redis import connect_redis


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "reset"),
        TimeoutError(),
        OSError(2, "No such file or directory"),  # a Unix socket that is gone
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CrashShutdownError("crash"),
        asyncpg.TooManyConnectionsError("too many clients"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.InterfaceError(
            "cannot call Connection.is_closed(): connection has been released back to the pool"
        ),
        redis.exceptions.ConnectionError("Connection closed by server."),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
        redis.exceptions.BusyLoadingError("Valkey is loading the dataset in memory"),
        ExceptionGroup("tasks", [ValueError("x"), ConnectionResetError()]),
    ],
)
def test_outages_are_recognised(exc: BaseException) -> None:
    assert is_unavailable(exc)


def test_an_outage_behind_another_error_is_recognised() -> None:
    outer = asyncpg.InterfaceError("cannot call Transaction.__aexit__()")
    outer.__context__ = asyncpg.ConnectionDoesNotExistError("closed in the middle")
    assert is_unavailable(outer)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bug"),
        KeyError("x"),
        FileNotFoundError(2, "No such file or directory", "/etc/missing.conf"),
        asyncpg.InterfaceError("the server expects 2 arguments for this query, 1 was passed"),
        asyncpg.UniqueViolationError("duplicate key"),
        redis.exceptions.ResponseError("WRONGTYPE"),
    ],
)
def test_bugs_are_not_outages(exc: BaseException) -> None:
    assert not is_unavailable(exc)


@pytest.fixture
async def stopped_valkey() -> AsyncIterator[Redis]:
    """A client of a real Valkey that answered once and was then stopped."""
    server = EmbeddedValkey()
    client = connect_redis(server.start())
    assert await client.ping()
    server.stop()
    yield client
    await client.aclose()


async def test_redis_down_in_a_handler_answers_503_with_retry_after(
    stopped_valkey: Redis,
) -> None:
    @get("/counter")
    async def counter() -> int:
        return int(await stopped_valkey.incr("counter"))

    @get("/bug")
    async def bug() -> None:
        raise FileNotFoundError(2, "No such file or directory", "/etc/missing.conf")

    @get("/busy")
    async def busy() -> None:
        raise ProblemError(503, "unavailable", "busy")

    app = Litestar([counter, bug, busy], exception_handlers=exception_handlers())
    async with AsyncTestClient(app) as client:
        response = await client.get("/counter")
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "1"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "unavailable"
        # a bug stays a 500
        assert (await client.get("/bug")).status_code == 500
        # any 503 problem tells when to retry
        assert (await client.get("/busy")).headers["retry-after"] == "1"
