"""The processes of ``stelly dev``, run the way Container Apps runs replicas.

Invariants:
- Every replica is its own process group, so a signal reaches the whole of it
  and Ctrl-C in the terminal reaches only ``stelly dev``.
- A replica that exits without having been asked to is *crashed*: it is
  started again on the same port after a backoff (0.5 s doubling to 30 s,
  back to 0.5 s once a replica stayed ready for 30 s), and the rest of the
  stack keeps running. Only :meth:`Supervisor.stop_all` (Ctrl-C) ends it.
- :meth:`Supervisor.rolling_restart` replaces a service's replicas one at a
  time: a new replica on a new port must be ready before an old one is
  taken out of the gateway's list and sent SIGTERM (it drains); if a new one
  never gets ready it is stopped and the old ones keep serving.
- After every change the gateway's upstream list (``upstreams.json``: the
  replicas of each origin that are starting or ready) is rewritten
  atomically; the gateway adds a replica only once its ``/readyz`` is 200.
- State changes are made under one lock; waiting (for readiness, for an
  exit) is done outside it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click
from stelly_core.localstack import free_port

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

__all__ = ["Replica", "ServiceSpec", "Supervisor"]

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
STABLE_AFTER = 30.0
#: a replica without a health URL (the worker) counts as ready once alive this long
ALIVE_IS_READY = 1.0


@dataclass(frozen=True)
class ServiceSpec:
    """One kind of process: how to start a replica of it and how to tell it is ready."""

    name: str
    #: the argv of a replica listening on ``port`` (``None`` for one without a port)
    argv: Callable[[int | None], Sequence[str]]
    #: the path that answers 200 when a replica is ready (``None``: alive is ready)
    health_path: str | None = "/readyz"
    #: the gateway origin this service serves, if any
    origin: str | None = None
    #: whether replicas listen on a port
    listens: bool = True
    stop_signal: signal.Signals = signal.SIGTERM
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class Replica:
    """One process of a service."""

    spec: ServiceSpec
    number: int
    port: int | None
    process: subprocess.Popen[bytes] | None = None
    #: starting, ready, draining (asked to stop), backoff (crashed; restarts at next_start), stopped
    state: str = "starting"
    restarts: int = 0
    backoff: float = BACKOFF_FIRST
    next_start: float = 0.0
    ready_since: float | None = None
    started_at: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.spec.name}#{self.number}"

    @property
    def url(self) -> str | None:
        return None if self.port is None else f"http://127.0.0.1:{self.port}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.spec.name,
            "replica": self.number,
            "pid": None if self.process is None else self.process.pid,
            "port": self.port,
            "state": self.state,
            "restarts": self.restarts,
        }


def _signal(replica: Replica) -> None:
    """Send the replica's stop signal to its process group, if it still runs."""
    process = replica.process
    if process is not None and process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, replica.spec.stop_signal)


def _answers_200(url: str, timeout: float = 0.5) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own loopback URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Supervisor:
    """Starts, watches, restarts and stops the replicas of the local stack.

    Args:
        base_env: the environment every replica starts with.
        run_dir: where ``upstreams.json`` is written for the gateway.
        say: prints a line for the operator (to the terminal of ``stelly dev``).
    """

    def __init__(
        self,
        base_env: Mapping[str, str],
        run_dir: Path,
        say: Callable[[str], None] = click.echo,
    ) -> None:
        self.base_env = dict(base_env)
        self.run_dir = run_dir
        self.say = say
        self.replicas: list[Replica] = []
        self.lock = threading.RLock()
        self._numbers: dict[str, itertools.count[int]] = {}
        self._restarting: set[str] = set()

    @property
    def upstreams_file(self) -> Path:
        return self.run_dir / "upstreams.json"

    # -- starting -------------------------------------------------------------------

    def add(self, spec: ServiceSpec, port: int | None = None) -> Replica:
        """Start one more replica of ``spec`` (on ``port``, or a free one if it listens)."""
        with self.lock:
            number = next(self._numbers.setdefault(spec.name, itertools.count(1)))
            if spec.listens and port is None:
                port = free_port()
            replica = Replica(spec, number, port if spec.listens else None)
            self.replicas.append(replica)
            self._spawn(replica)
            self._publish()
            return replica

    def _spawn(self, replica: Replica) -> None:
        replica.process = subprocess.Popen(  # noqa: S603 - our own argv
            list(replica.spec.argv(replica.port)),
            env=self.base_env | dict(replica.spec.env),
            start_new_session=True,  # Ctrl-C reaches us, and we stop each child ourselves
        )
        replica.state = "starting"
        replica.ready_since = None
        replica.started_at = time.monotonic()

    def is_ready(self, replica: Replica) -> bool:
        """Whether ``replica`` is up and (where it has one) its health URL answers 200."""
        process = replica.process
        if process is None or process.poll() is not None:
            return False
        if replica.spec.health_path is None or replica.url is None:
            return time.monotonic() - replica.started_at >= ALIVE_IS_READY
        return _answers_200(replica.url + replica.spec.health_path)

    def wait_ready(self, replica: Replica, timeout: float = 60.0) -> None:
        """Wait until ``replica`` is ready.

        Raises:
            RuntimeError: when it exits or is not ready in time.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = replica.process
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{replica.label} exited with {process.returncode}")
            if self.is_ready(replica):
                self._mark_ready(replica)
                return
            time.sleep(0.2)
        raise RuntimeError(f"{replica.label} was not ready within {timeout:.0f}s")

    def _mark_ready(self, replica: Replica) -> None:
        with self.lock:
            if replica.state == "starting":
                replica.state = "ready"
                replica.ready_since = time.monotonic()
                if replica.restarts:
                    self.say(f"{replica.label} is ready again (port {replica.port})")
                self._publish()

    # -- watching -------------------------------------------------------------------

    def tick(self) -> None:
        """One round of supervision: notice exits and readiness, restart what is due."""
        now = time.monotonic()
        starting: list[Replica] = []
        with self.lock:
            for replica in list(self.replicas):
                process = replica.process
                if replica.state in ("starting", "ready") and process is not None:
                    code = process.poll()
                    if code is not None:
                        replica.state = "backoff"
                        if (
                            replica.ready_since is not None
                            and now - replica.ready_since > STABLE_AFTER
                        ):
                            replica.backoff = BACKOFF_FIRST
                        replica.next_start = now + replica.backoff
                        self.say(
                            f"{replica.label} (pid {process.pid}) exited with {code}; "
                            f"restarting in {replica.backoff:.1f}s"
                        )
                        replica.backoff = min(replica.backoff * 2, BACKOFF_MAX)
                        self._publish()
                        continue
                if replica.state == "backoff" and now >= replica.next_start:
                    replica.restarts += 1
                    self._spawn(replica)
                    self._publish()
                if replica.state == "starting":
                    starting.append(replica)
        for replica in starting:
            if self.is_ready(replica):
                self._mark_ready(replica)

    # -- rolling restart ------------------------------------------------------------

    def rolling_restart(
        self, service: str, progress: Callable[[str], None], ready_timeout: float = 60.0
    ) -> None:
        """Replace every replica of ``service``, one at a time, new before old.

        Raises:
            ValueError: for an unknown service, or one already being restarted.
            RuntimeError: when a new replica never gets ready (it is stopped;
                the old replicas keep serving).
        """
        with self.lock:
            old = [r for r in self.replicas if r.spec.name == service and r.state != "draining"]
            if not old:
                raise ValueError(f"no such service: {service}")
            if service in self._restarting:
                raise ValueError(f"a restart of {service} is already running")
            self._restarting.add(service)
        try:
            for replica in old:
                new = self.add(replica.spec)
                progress(f"started {new.label} on port {new.port}")
                try:
                    self.wait_ready(new, ready_timeout)
                except RuntimeError as exc:
                    self.stop(new)
                    raise RuntimeError(f"{exc}; {service} keeps its old replicas") from None
                progress(f"{new.label} is ready; draining {replica.label}")
                self.stop(replica)
                progress(f"{replica.label} stopped")
        finally:
            with self.lock:
                self._restarting.discard(service)

    # -- stopping -------------------------------------------------------------------

    def stop(self, replica: Replica, timeout: float | None = None) -> None:
        """Drain and stop one replica: out of the gateway's list first, then its signal."""
        with self.lock:
            replica.state = "draining"
            self._publish()
            process = replica.process
        if process is not None and process.poll() is None:
            _signal(replica)
            self._wait_or_kill(replica, timeout if timeout is not None else self._stop_budget())
        with self.lock:
            replica.state = "stopped"
            if replica in self.replicas:
                self.replicas.remove(replica)
            self._publish()

    def _wait_or_kill(self, replica: Replica, budget: float) -> None:
        process = replica.process
        if process is None:
            return
        try:
            process.wait(budget)
        except subprocess.TimeoutExpired:
            self.say(f"{replica.label} did not stop within {budget:.0f}s, killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def _stop_budget(self) -> float:
        drain = float(self.base_env.get("STELLY_DRAIN_SECONDS") or 5)
        shutdown = float(self.base_env.get("STELLY_SHUTDOWN_SECONDS") or 15)
        window = float(self.base_env.get("STELLY_REALTIME_CLOSE_WINDOW") or 3)
        return drain + window + shutdown + 5

    def stop_all(self, grace: float = 20.0) -> None:
        """Stop every replica, newest first, hurrying their drain (a second SIGTERM)."""
        with self.lock:
            replicas = list(reversed(self.replicas))
            for replica in replicas:
                replica.state = "draining"
        for replica in replicas:
            _signal(replica)
        time.sleep(0.1)
        for replica in replicas:
            _signal(replica)  # a second signal skips what is left of the drain delay
        deadline = time.monotonic() + grace
        for replica in replicas:
            self._wait_or_kill(replica, max(0.1, deadline - time.monotonic()))
        with self.lock:
            self.replicas.clear()
        with contextlib.suppress(FileNotFoundError):
            self.upstreams_file.unlink()

    # -- what others read -----------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        """Every replica: service, replica, pid, port, state."""
        with self.lock:
            order = {name: i for i, name in enumerate(self._numbers)}  # first start order
            ranked = sorted(self.replicas, key=lambda r: (order[r.spec.name], r.number))
            return [replica.as_dict() for replica in ranked]

    def _publish(self) -> None:
        origins: dict[str, list[str]] = {}
        for replica in self.replicas:
            origin = replica.spec.origin
            if origin is None:
                continue
            urls = origins.setdefault(origin, [])
            if replica.state in ("starting", "ready") and replica.url is not None:
                urls.append(replica.url)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.upstreams_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"origins": origins}))
        tmp.replace(self.upstreams_file)
