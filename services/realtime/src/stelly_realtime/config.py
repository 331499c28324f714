"""The realtime service's limits; defaults suit production, tests shrink them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RealtimeConfig"]


@dataclass(frozen=True, slots=True)
class RealtimeConfig:
    """Per-connection limits and keepalive timing.

    Attributes:
        max_subscriptions: channels one socket may hold at once.
        max_message_bytes: the largest client frame; larger ones close with 1009.
        max_backlog: frames that may wait for a socket that cannot take more;
            past that it is a slow consumer and closes with 1013.
        max_recover: most events replayed on a resubscribe; a longer gap
            answers ``recovered: false``.
        ping_interval: seconds between the server's WebSocket pings (Front
            Door closes sockets idle for 5 minutes).
        ping_timeout: seconds a peer has to answer a ping before it is closed.
        expiry_sweep: seconds between checks for subscriptions whose token
            has expired (they end with ``token_expired``) and for tenants
            suspended since their sockets opened (those close with 1008).
        max_concurrent_reads: stream reads in flight at once for new
            subscriptions, so that a reconnect storm after a deploy queues
            here instead of exhausting the Redis connection pool.
    """

    max_subscriptions: int = 32
    max_message_bytes: int = 4096
    max_backlog: int = 1024
    max_recover: int = 500
    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    max_concurrent_reads: int = 32
    expiry_sweep: float = 30.0
