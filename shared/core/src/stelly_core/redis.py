"""The process's Redis client (redis-py asyncio)."""

from __future__ import annotations

from redis.asyncio import Redis

__all__ = ["connect_redis"]


def connect_redis(url: str) -> Redis:
    """Build a pooled Redis client with bounded timeouts.

    Args:
        url: a ``redis://``, ``rediss://`` or ``unix://`` URL.

    Returns:
        The client; it connects on first use.
    """
    client: Redis = Redis.from_url(
        url,
        socket_connect_timeout=2.0,
        socket_timeout=5.0,
        health_check_interval=30,
        retry_on_timeout=False,
    )
    return client
