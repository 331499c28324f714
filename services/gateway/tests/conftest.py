"""Real processes for the gateway's replica tests: echo upstreams and gateways on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from stelly_core.localstack import free_port

HERE = Path(__file__).parent


@dataclass
class Proc:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)

    def set_ready(self, ready: bool) -> None:
        httpx.post(f"{self.url}/_ready/{'on' if ready else 'off'}", timeout=5).raise_for_status()


class Processes:
    """Starts echo upstreams and gateways; stops every one at the end of the test."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.requests_log = tmp / "requests.log"
        self.die_marker = tmp / "died"
        self._procs: list[Proc] = []

    def upstream(self, name: str, port: int | None = None) -> Proc:
        port = port or free_port()
        env = {
            "ECHO_NAME": name,
            "ECHO_LOG": str(self.requests_log),
            "ECHO_DIE_MARKER": str(self.die_marker),
        }
        args = [sys.executable, str(HERE / "echo_upstream.py"), str(port)]
        return self._spawn(name, port, args, env, "/readyz")

    def gateway(self, env: dict[str, str]) -> Proc:
        port = free_port()
        full = {"STELLY_PORT": str(port), "STELLY_GATEWAY_TIMEOUT": "5"} | env
        return self._spawn(
            "gateway", port, [sys.executable, "-m", "stelly_gateway"], full, "/healthz"
        )

    def write_upstreams(self, path: Path, origins: dict[str, list[str]]) -> None:
        """Write the upstreams file atomically, as the supervisor does."""
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"origins": origins}))
        tmp.replace(path)

    def requests_seen(self) -> list[list[str]]:
        if not self.requests_log.exists():
            return []
        return [line.split() for line in self.requests_log.read_text().splitlines()]

    def _spawn(
        self, name: str, port: int, args: list[str], env: dict[str, str], ready_path: str
    ) -> Proc:
        log = self.tmp / f"{name}-{port}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(args, env=os.environ | env, stdout=out, stderr=out)
        started = Proc(name, port, proc, log)
        self._procs.append(started)
        for _ in range(400):
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}: {log.read_text()}")
            try:
                httpx.get(started.url + ready_path, timeout=0.5)
                return started
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"{name} did not start")

    def stop_all(self) -> None:
        for started in self._procs:
            if started.proc.poll() is None:
                started.proc.terminate()
        for started in self._procs:
            try:
                started.proc.wait(5)
            except subprocess.TimeoutExpired:
                started.proc.kill()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()
