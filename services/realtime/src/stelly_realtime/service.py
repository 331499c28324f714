"""The realtime machinery of one process: the hub, the stream reader, the sessions.

Sockets are let go with 1012 spread over a window, never all in one instant:
every closed client reconnects (with full-jitter backoff) and re-reads its
streams with ``since``, and a thousand of them doing that at once is the
reconnect storm that a restart must not cause. One task spreads a whole batch
(a sleep between closes due at random moments), not a timer per socket. Once
:meth:`RealtimeService.close_spread` has begun, the process is going away: a
socket opened after that is closed with 1012 as soon as it is accepted.

A staff user disabled (or whose password is reset) loses every subscription
a token of theirs admitted, on every replica, as soon as the revocation
notice arrives through Redis (:meth:`RealtimeService.end_staff`: a walk over
this process's sessions, no query). The notice is best effort; the periodic
sweep, which reads the users' rows (one query per tenant), stays the
backstop for a notice lost while Redis was away, and a listener that
reconnects asks for that re-check at once (:meth:`RealtimeService.recheck_staff`).
Either way the client gets ``invalid_token`` on the channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import TYPE_CHECKING, Any

from stelly_core.telemetry.instruments import instruments
from stelly_tenancy.staff import live_token_versions, staff_of_claims

from stelly_realtime.connection import Connection
from stelly_realtime.history import HistoryReader
from stelly_realtime.hub import Hub
from stelly_realtime.session import Session

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from redis.asyncio import Redis
    from stelly_core.auth import Claims
    from stelly_core.db import Database
    from stelly_tenancy.invalidation import StaffRevoked
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
        self._recheck: asyncio.Task[None] | None = None
        self._resolver: TenantResolver | None = None
        self._base_domain = ""
        self._closing = False
        self._opened = 0  # sockets ever opened: tells a reset whether its batch is whole
        self._reset_spread: asyncio.Task[None] | None = None
        self._reset_opened = 0
        self._db: Database | None = None
        self.sessions: set[Session] = set()

    @property
    def hub(self) -> Hub:
        if self._hub is None:
            raise RuntimeError("the realtime service has not started")
        return self._hub

    async def start(
        self,
        redis: Redis,
        resolver: TenantResolver | None = None,
        base_domain: str = "",
        db: Database | None = None,
    ) -> None:
        """Start the hub on the process's Redis.

        Args:
            redis: the process's Redis client.
            resolver: the tenant resolver, to end the sockets of a tenant that
                is suspended or removed while they are open.
            base_domain: ``STELLY_BASE_DOMAIN``, to look tenants up by slug.
            db: the database, to refuse (at subscribe) and end (at each sweep)
                subscriptions of staff users disabled or whose tokens were
                revoked; without it staff tokens are judged by signature alone.
        """
        self._resolver = resolver
        self._base_domain = base_domain
        self._db = db
        self._history = HistoryReader(redis)
        self._reads = asyncio.Semaphore(self.config.max_concurrent_reads)
        self._hub = Hub(redis, on_upstream_reset=self._upstream_reset)
        await self._hub.start()
        self._sweeper = asyncio.create_task(self._sweep(), name="realtime-expiry")

    async def stop(self) -> None:
        """Close the remaining sockets and stop the hub."""
        for task in (self._sweeper, self._reset_spread, self._recheck):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._sweeper = self._reset_spread = self._recheck = None
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
            staff_check=self._staff_check if self._db is not None else None,
        )
        self.sessions.add(session)
        self._opened += 1
        instruments().websocket_connections.add(1)
        if self._closing:
            # the edge has stopped routing here: send the client elsewhere at once
            connection.close(CLOSE_SERVICE_RESTART, "service_restart")
        return session

    async def close_spread(self, window: float) -> None:
        """Close every socket with 1012, each at a random moment within ``window``.

        Returns when all are closed (their close frames sent or on their way),
        at the end of the window. From now on a socket opened here (rare: the
        edge has stopped routing to a draining process) is closed with 1012
        as soon as it is accepted. :meth:`stop` still closes whatever remains.

        Args:
            window: seconds to spread the closes over; 0 closes all at once.
        """
        # no await before the snapshot: every socket is in it or opened after
        # the flag is set (and then closed by open())
        self._closing = True
        deadline = asyncio.get_running_loop().time() + max(0.0, window)
        await _close_spread(list(self.sessions), deadline, "service_restart")

    def _upstream_reset(self) -> None:
        # Events published while pub/sub was down are in the streams: make
        # every client resume from its offset rather than miss them. Spread,
        # but over a shorter window than a drain: until its socket closes a
        # client may be missing events, and a Redis restart resets every
        # replica at once, so the storm is all sockets of all replicas.
        # The hub reports a reset once per channel redis-py re-subscribed, all
        # in a burst (thousands with many order channels): while a batch runs
        # and no socket has opened since it began, there is nothing to add, at
        # no cost per call. Otherwise a new batch replaces it. Logged once.
        running = self._reset_spread is not None and not self._reset_spread.done()
        if running and self._opened == self._reset_opened:
            return
        if self._reset_spread is not None and running:
            self._reset_spread.cancel()
        else:
            _log.warning(
                "upstream reset: closing %d sockets over %gs",
                len(self.sessions),
                self.config.reset_close_window,
            )
        self._reset_opened = self._opened
        deadline = asyncio.get_running_loop().time() + self.config.reset_close_window
        self._reset_spread = asyncio.create_task(
            _close_spread(list(self.sessions), deadline, "upstream_reset"),
            name="realtime-reset-close",
        )

    async def close(self, session: Session) -> None:
        """Forget a session whose socket has ended."""
        if session in self.sessions:
            self.sessions.discard(session)
            instruments().websocket_connections.add(-1)
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
            try:
                await self._end_revoked_staff()
            except Exception as exc:
                _log.warning("could not re-check staff users: %s", exc)

    def end_staff(self, notice: StaffRevoked) -> int:
        """End this process's subscriptions that a revoked token of the user admitted.

        Only sessions of the notice's tenant are touched, and in them only
        grants of the user with a token version below the notice's (a token
        issued after the bump, once the account is enabled again, stays).

        Returns:
            How many subscriptions ended.
        """
        ended = 0
        user = str(notice.user_id)
        for session in list(self.sessions):
            if session.tenant.id != notice.tenant_id:
                continue
            for channel, claims in list(session.staff_grants.items()):
                if claims.sub == user and claims.ver < notice.token_version:
                    session.revoke(channel)
                    ended += 1
        return ended

    def recheck_staff(self) -> None:
        """Re-check every staff grant against the database now (in the background).

        Revocation notices may have been missed while pub/sub was away; one
        re-check runs at a time.
        """
        if self._db is None or (self._recheck is not None and not self._recheck.done()):
            return
        self._recheck = asyncio.get_running_loop().create_task(
            self._recheck_staff(), name="realtime-staff-recheck"
        )

    async def _recheck_staff(self) -> None:
        try:
            await self._end_revoked_staff()
        except Exception as exc:
            _log.warning("could not re-check staff users: %s", exc)

    async def _staff_check(self, tenant: Tenant, claims: Claims) -> bool:
        assert self._db is not None
        return await staff_of_claims(self._db, tenant.schema, claims) is not None

    async def _end_revoked_staff(self) -> None:
        """End the subscriptions of staff users disabled (or reset) since they subscribed.

        One query per tenant with staff subscriptions, per sweep.
        """
        if self._db is None:
            return
        by_tenant: dict[int, tuple[Tenant, set[int]]] = {}
        for session in self.sessions:
            for claims in session.staff_grants.values():
                if claims.sub.isdigit() and len(claims.sub) <= 18:
                    by_tenant.setdefault(session.tenant.id, (session.tenant, set()))[1].add(
                        int(claims.sub)
                    )
        live: dict[int, dict[int, int]] = {}
        for tenant_id, (tenant, user_ids) in by_tenant.items():
            live[tenant_id] = await live_token_versions(self._db, tenant.schema, sorted(user_ids))
        for session in list(self.sessions):
            versions = live.get(session.tenant.id, {})
            for channel, claims in list(session.staff_grants.items()):
                user_id = int(claims.sub) if claims.sub.isdigit() else 0
                if versions.get(user_id) != claims.ver:
                    session.revoke(channel)

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


async def _close_spread(sessions: list[Session], deadline: float, reason: str) -> None:
    """Close the sockets of ``sessions`` with 1012, each at a uniform moment before ``deadline``.

    The moments are drawn at once and sorted; the task sleeps from one to the
    next, so a whole batch costs one task and one timer at a time. A socket
    its client closed meanwhile is skipped (closing it again does nothing).
    """
    loop = asyncio.get_running_loop()
    now = loop.time()
    schedule = sorted(
        ((random.uniform(now, max(now, deadline)), session) for session in sessions),
        key=lambda due: due[0],
    )
    for due, session in schedule:
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        session.connection.close(CLOSE_SERVICE_RESTART, reason)
