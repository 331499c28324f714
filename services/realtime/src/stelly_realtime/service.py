"""The realtime machinery of one process: the hub, the stream reader, the sessions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from stelly_realtime.connection import Connection
from stelly_realtime.history import HistoryReader
from stelly_realtime.hub import Hub
from stelly_realtime.session import Session

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from redis.asyncio import Redis
    from stelly_tenancy.models import Tenant
    from stelly_tenancy.resolution import TenantResolver

    from stelly_realtime.config import RealtimeConfig
    from stelly_realtime.direct import DirectWriter

__all__ = ["CLOSE_POLICY_VIOLATION", "CLOSE_SERVICE_RESTART", "RealtimeService"]

_log = logging.getLogger("stelly.realtime")
CLOSE_SERVICE_RESTART = 1012
CLOSE_POLICY_VIOLATION = 1008


class RealtimeService:
    """Opens sessions for sockets and owns what they share.

    Args:
        config: the limits.
        secret: ``KZ_SECRET_KEY``, to verify subscription tokens.
    """

    def __init__(self, config: RealtimeConfig, secret: str) -> None:
        self.config = config
        self._secret = secret
        self._hub: Hub | None = None
        self._history: HistoryReader | None = None
        self._reads: asyncio.Semaphore | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._resolver: TenantResolver | None = None
        self._base_domain = ""
        self.sessions: set[Session] = set()

    @property
    def hub(self) -> Hub:
        if self._hub is None:
            raise RuntimeError("the realtime service has not started")
        return self._hub

    async def start(
        self, redis: Redis, resolver: TenantResolver | None = None, base_domain: str = ""
    ) -> None:
        """Start the hub on the process's Redis.

        Args:
            redis: the process's Redis client.
            resolver: the tenant resolver, to end the sockets of a tenant that
                is suspended or removed while they are open.
            base_domain: ``STELLY_BASE_DOMAIN``, to look tenants up by slug.
        """
        self._resolver = resolver
        self._base_domain = base_domain
        self._history = HistoryReader(redis)
        self._reads = asyncio.Semaphore(self.config.max_concurrent_reads)
        self._hub = Hub(redis, on_upstream_reset=self._upstream_reset)
        await self._hub.start()
        self._sweeper = asyncio.create_task(self._sweep(), name="realtime-expiry")

    async def stop(self) -> None:
        """Close the remaining sockets and stop the hub."""
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        for session in list(self.sessions):
            session.connection.close(CLOSE_SERVICE_RESTART, "shutting_down")
        if self._hub is not None:
            await self._hub.stop()

    def open(
        self,
        tenant: Tenant,
        send: Callable[[Any], Awaitable[None]],
        direct: DirectWriter | None = None,
    ) -> Session:
        """A session for a socket that has just been accepted."""
        if self._history is None or self._reads is None:
            raise RuntimeError("the realtime service has not started")
        connection = Connection(send, max_backlog=self.config.max_backlog, direct=direct)
        session = Session(
            connection,
            tenant,
            hub=self.hub,
            history=self._history,
            reads=self._reads,
            config=self.config,
            secret=self._secret,
        )
        self.sessions.add(session)
        return session

    async def close(self, session: Session) -> None:
        """Forget a session whose socket has ended."""
        self.sessions.discard(session)
        session.close()
        await session.connection.aclose()

    async def _sweep(self) -> None:
        # one task for the process, not a timer per socket
        while True:
            await asyncio.sleep(self.config.expiry_sweep)
            now = time.time()
            for session in list(self.sessions):
                session.expire(now)
            try:
                await self._close_refused_tenants()
            except Exception as exc:
                _log.warning("could not re-check tenants: %s", exc)

    async def _close_refused_tenants(self) -> None:
        """Close the sockets of tenants suspended (or gone) since they connected."""
        if self._resolver is None:
            return
        tenants = {session.tenant.id: session.tenant for session in self.sessions}
        refused = set()
        for tenant_id, tenant in tenants.items():
            # by slug, through the resolver's cache: one lookup per tenant at most
            current = await self._resolver.resolve(f"{tenant.slug}.{self._base_domain}")
            if current is None or current.id != tenant_id or not current.active:
                refused.add(tenant_id)
        for session in list(self.sessions):
            if session.tenant.id in refused:
                session.connection.close(CLOSE_POLICY_VIOLATION, "tenant_suspended")

    def _upstream_reset(self) -> None:
        # events published while pub/sub was down are in the streams: make
        # every client resume from its offset rather than miss them
        _log.warning("upstream reset: closing %d sockets", len(self.sessions))
        for session in list(self.sessions):
            session.connection.close(CLOSE_SERVICE_RESTART, "upstream_reset")
