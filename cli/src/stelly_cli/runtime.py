"""The connections a CLI command opens: the database and, when reachable, Redis."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import TYPE_CHECKING, Any

import click
from redis.exceptions import RedisError
from stelly_core.db import Database
from stelly_core.localstack import database_url, redis_url
from stelly_core.redis import connect_redis
from stelly_core.settings import SettingsError, load_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Coroutine

    from redis.asyncio import Redis
    from stelly_core.settings import Settings

__all__ = ["connections", "run_async"]

_log = logging.getLogger("stelly.cli")


@contextlib.asynccontextmanager
async def connections(
    settings: Settings, *, pool_size: int = 4
) -> AsyncIterator[tuple[Database, Redis | None]]:
    """Open the database and Redis for one command.

    Redis is optional here: without it tenant changes still reach every
    replica when their cache TTL expires.
    """
    db = await Database.connect(database_url(settings), settings, max_size=pool_size)
    redis: Redis | None = None
    try:
        with contextlib.suppress(SettingsError):
            redis = connect_redis(redis_url(settings), settings.redis_auth)
        if redis is not None:
            try:
                await redis.ping()
            except (RedisError, OSError) as exc:
                _log.warning("Redis unreachable, tenant changes propagate by cache TTL: %s", exc)
                await redis.aclose()
                redis = None
        yield db, redis
    finally:
        if redis is not None:
            await redis.aclose()
        await db.close()


def run_async(factory: Callable[[Settings], Coroutine[Any, Any, int]]) -> None:
    """Load the settings, run one coroutine, exit with its status."""
    try:
        settings = load_settings()
        status = asyncio.run(factory(settings))
    except SettingsError as exc:
        click.secho(str(exc), fg="red", err=True)
        status = 2
    except KeyboardInterrupt:
        status = 130
    sys.exit(status)
