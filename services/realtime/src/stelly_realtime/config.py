"""The realtime service's limits; defaults suit production, tests shrink them.

Only :attr:`RealtimeConfig.close_window` comes from the environment
(``STELLY_REALTIME_CLOSE_WINDOW``, through :meth:`RealtimeConfig.from_environ`):
it must fit inside the shutdown budget an operator sets for the platform. The
other limits are part of the protocol's behaviour and stay in code.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from stelly_core.settings import SettingsError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["CLOSE_WINDOW_VARIABLE", "RealtimeConfig"]

CLOSE_WINDOW_VARIABLE = "STELLY_REALTIME_CLOSE_WINDOW"
_MAX_CLOSE_WINDOW = 300.0


@dataclass(frozen=True, slots=True)
class RealtimeConfig:
    """Per-connection limits, keepalive timing and how sockets are let go.

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
        close_window: seconds over which a draining process spreads the 1012
            closes of its sockets, so that their clients do not all reconnect
            (and read their streams) in the same instant
            (``STELLY_REALTIME_CLOSE_WINDOW``).
        reset_close_window: the same spread after the pub/sub connection was
            lost; shorter, because until a socket is closed its client may be
            missing events.
    """

    max_subscriptions: int = 32
    max_message_bytes: int = 4096
    max_backlog: int = 1024
    max_recover: int = 500
    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    max_concurrent_reads: int = 32
    expiry_sweep: float = 30.0
    close_window: float = 3.0
    reset_close_window: float = 1.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> RealtimeConfig:
        """The defaults, with ``STELLY_REALTIME_CLOSE_WINDOW`` when it is set.

        Args:
            environ: the variables to read; ``os.environ`` when omitted.

        Raises:
            SettingsError: naming the variable when it is not a number of
                seconds from 0 to 300.
        """
        env = os.environ if environ is None else environ
        config = cls()
        raw = env.get(CLOSE_WINDOW_VARIABLE, "").strip()
        if not raw:
            return config
        try:
            window = float(raw)
        except ValueError:
            window = math.nan
        if not 0 <= window <= _MAX_CLOSE_WINDOW:  # also refuses nan
            raise SettingsError(
                f"invalid settings: {CLOSE_WINDOW_VARIABLE}: seconds from 0 to "
                f"{_MAX_CLOSE_WINDOW:g}, got {raw!r}"
            )
        return replace(config, close_window=window)
