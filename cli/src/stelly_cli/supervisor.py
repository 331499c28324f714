"""Child processes of ``stelly dev``: start, wait until healthy, stop them all."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["Child", "Supervisor"]


@dataclass
class Child:
    """One process of the local stack."""

    name: str
    argv: Sequence[str]
    health_url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    stop_signal: signal.Signals = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = None


class Supervisor:
    """Starts children in their own process groups and stops every one of them."""

    def __init__(self, base_env: Mapping[str, str]) -> None:
        self.base_env = dict(base_env)
        self.children: list[Child] = []

    def start(self, child: Child) -> None:
        """Start a child (its output goes to this terminal)."""
        child.process = subprocess.Popen(  # noqa: S603 - our own argv
            list(child.argv),
            env=self.base_env | dict(child.env),
            start_new_session=True,  # Ctrl-C reaches us, and we stop each child ourselves
        )
        self.children.append(child)

    def wait_healthy(self, child: Child, timeout: float = 60.0) -> None:
        """Wait until the child's health URL answers 200.

        Raises:
            RuntimeError: when the child exits or does not become healthy in time.
        """
        if child.health_url is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if child.process is not None and child.process.poll() is not None:
                raise RuntimeError(f"{child.name} exited with {child.process.returncode}")
            try:
                with urllib.request.urlopen(child.health_url, timeout=1) as response:  # noqa: S310 - our own loopback URL
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"{child.name} was not healthy at {child.health_url} within {timeout:.0f}s"
        )

    def dead_child(self) -> Child | None:
        """A child that has exited, if any."""
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                return child
        return None

    def stop_all(self, grace: float = 10.0) -> None:
        """Signal every child to stop (newest first), then SIGKILL what is left after ``grace``."""
        for child in reversed(self.children):
            if child.process is not None and child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, child.stop_signal)
        deadline = time.monotonic() + grace
        for child in reversed(self.children):
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{child.name} did not stop in time, killing it", file=sys.stderr)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()
        self.children.clear()
