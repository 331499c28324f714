"""An origin's replicas, their health and the choice of one per request.

Balancing is least-outstanding-requests (an open WebSocket counts as one
outstanding request for its lifetime) with a rotating tie-break, so equal
load degenerates to round-robin and a slow or busy replica gets less.

Invariants:
- A replica is ``up`` (in rotation), ``down`` (left rotation after a failed
  check or connect; it comes back with its next 200 from ``/readyz``) or
  ``pending`` (added at run time and never yet answered 200: never chosen).
- Replicas known at startup (settings, or the upstreams file as read then)
  start ``up``: the first health round runs at once and corrects them.
- When no replica in rotation is left, ``down`` ones are still tried (a
  dependency outage fails every ``/readyz`` while requests may still work).
- Replacing an origin's list keeps the state of the URLs that stay.
- A state change is logged once, not once per check.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

__all__ = ["Origin", "Replica", "ReplicaState", "Upstreams"]

_log = logging.getLogger("stelly.gateway")

ReplicaState = Literal["up", "down", "pending"]


@dataclass(eq=False, slots=True)
class Replica:
    """One upstream process of an origin, by base URL."""

    origin: str
    url: str
    state: ReplicaState = "up"
    outstanding: int = 0

    def mark_up(self) -> None:
        """Put the replica in rotation (its ``/readyz`` answered 200)."""
        if self.state != "up":
            _log.info("replica %s of %s is ready (was %s)", self.url, self.origin, self.state)
            self.state = "up"

    def mark_down(self, reason: str) -> None:
        """Take the replica out of rotation until its ``/readyz`` answers 200."""
        if self.state == "up":
            _log.warning("replica %s of %s left rotation: %s", self.url, self.origin, reason)
            self.state = "down"

    @contextlib.contextmanager
    def in_use(self) -> Iterator[Replica]:
        """Count one outstanding request (or open WebSocket) while inside."""
        self.outstanding += 1
        try:
            yield self
        finally:
            self.outstanding -= 1


@dataclass(slots=True)
class Origin:
    """The replicas of one origin (menu, realtime, media)."""

    name: str
    health_path: str = "/readyz"
    replicas: list[Replica] = field(default_factory=list)
    _turn: int = 0

    def set_urls(self, urls: Iterable[str], *, trusted: bool) -> None:
        """Replace the replica list, keeping the state of URLs that stay.

        Args:
            urls: the base URLs, in order.
            trusted: new replicas start ``up`` (startup) instead of ``pending``.
        """
        known = {replica.url: replica for replica in self.replicas}
        replicas = []
        for url in dict.fromkeys(urls):
            replica = known.pop(url, None)
            if replica is None:
                replica = Replica(self.name, url, "up" if trusted else "pending")
                _log.info("replica %s of %s added (%s)", url, self.name, replica.state)
            replicas.append(replica)
        for gone in known.values():
            _log.info("replica %s of %s removed", gone.url, self.name)
        self.replicas = replicas

    def choose(self, tried: set[Replica]) -> Replica | None:
        """The replica for the next attempt of a request, or ``None``.

        Prefers replicas in rotation with the fewest outstanding requests;
        when none in rotation is left untried, a ``down`` one (its last check
        may be stale). ``pending`` replicas are never chosen.
        """
        count = len(self.replicas)
        if not count:
            return None
        start = self._turn % count
        self._turn += 1
        order = self.replicas[start:] + self.replicas[:start]
        for state in ("up", "down"):
            candidates = [r for r in order if r.state == state and r not in tried]
            if candidates:
                return min(candidates, key=lambda r: r.outstanding)
        return None


class Upstreams:
    """Every proxied origin's replicas, by origin name."""

    def __init__(self, health_paths: Mapping[str, str] | None = None) -> None:
        self._health_paths = dict(health_paths or {})
        self.origins: dict[str, Origin] = {}

    def set_urls(self, origin: str, urls: Iterable[str], *, trusted: bool = False) -> None:
        """Give ``origin`` this replica list (see :meth:`Origin.set_urls`)."""
        current = self.origins.get(origin)
        if current is None:
            current = Origin(origin, self._health_paths.get(origin, "/readyz"))
            self.origins[origin] = current
        current.set_urls(urls, trusted=trusted)

    def get(self, origin: str) -> Origin | None:
        """The origin, when it has been given replicas."""
        return self.origins.get(origin)

    def all_replicas(self) -> list[tuple[Origin, Replica]]:
        """Every replica with its origin (a snapshot: lists change during restarts)."""
        return [(o, r) for o in self.origins.values() for r in o.replicas]
