"""The supervisor with real child processes: crash restarts, rolling restarts, the control socket.

The children are tiny HTTP servers (``python -m http.server``-like, below)
whose ``/readyz`` answers 200, or 503 forever when the flag file exists at
their start: a replica that never gets ready.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from stelly_cli.control import ControlServer
from stelly_cli.dev import parse_replicas
from stelly_cli.supervisor import ServiceSpec, Supervisor

CHILD = textwrap.dedent(
    """
    import http.server, os, sys
    broken = os.path.exists(sys.argv[2])
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(503 if broken else 200)
            self.end_headers()
        def log_message(self, *a):
            pass
    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
    """
)


LINES: list[str] = []


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[tuple[Supervisor, ServiceSpec, Path]]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    flag = tmp_path / "broken"
    spec = ServiceSpec(
        "menu", lambda port: [sys.executable, str(script), str(port), str(flag)], origin="menu"
    )
    LINES.clear()
    sup = Supervisor(dict(os.environ), tmp_path / "run", say=LINES.append)
    try:
        yield sup, spec, flag
    finally:
        sup.stop_all(grace=5)


def _stelly(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``stelly ARGS`` from another terminal, acting on the stack of ``state_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STELLY_")}
    return subprocess.run(
        [sys.executable, "-m", "stelly_cli", *args],
        env=env | {"STELLY_STATE_DIR": str(state_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _upstreams(sup: Supervisor) -> list[str]:
    return list(json.loads(sup.upstreams_file.read_text())["origins"]["menu"])


def test_a_killed_replica_is_restarted_on_its_port_and_the_rest_keeps_running(
    supervisor: tuple[Supervisor, ServiceSpec, Path],
) -> None:
    sup, spec, _ = supervisor
    first, second = sup.add(spec), sup.add(spec)
    for replica in (first, second):
        sup.wait_ready(replica, 20)
    assert first.process is not None and second.process is not None
    old_pid, port = first.process.pid, first.port
    os.kill(old_pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        sup.tick()
        if first.state == "ready" and first.process.pid != old_pid:
            break
        time.sleep(0.1)
    assert first.state == "ready"
    assert first.restarts == 1 and first.port == port
    assert second.process.poll() is None and second.restarts == 0
    assert any("exited with" in line for line in LINES)
    assert sorted(_upstreams(sup)) == sorted([str(first.url), str(second.url)])


def test_rolling_restart_replaces_each_replica_new_before_old(
    supervisor: tuple[Supervisor, ServiceSpec, Path],
) -> None:
    sup, spec, _ = supervisor
    old = [sup.add(spec), sup.add(spec)]
    for replica in old:
        sup.wait_ready(replica, 20)
    seen_upstreams: list[list[str]] = []
    sup.rolling_restart("menu", lambda _line: seen_upstreams.append(_upstreams(sup)))
    status = sup.status()
    assert [p["replica"] for p in status] == [3, 4]
    assert all(p["state"] == "ready" for p in status)
    assert all(r.process is not None and r.process.poll() is not None for r in old)
    # never fewer than two replicas listed while the restart ran
    assert min(len(urls) for urls in seen_upstreams) >= 2
    assert sorted(_upstreams(sup)) == sorted(f"http://127.0.0.1:{p['port']}" for p in status)


def test_a_new_replica_that_never_gets_ready_fails_the_restart_and_the_old_ones_stay(
    supervisor: tuple[Supervisor, ServiceSpec, Path], tmp_path: Path
) -> None:
    sup, spec, flag = supervisor
    old = [sup.add(spec), sup.add(spec)]
    for replica in old:
        sup.wait_ready(replica, 20)
    flag.write_text("")
    control = ControlServer(sup, tmp_path, ready_timeout=2)
    try:
        result = _stelly(tmp_path, "dev", "restart", "menu")
        status = _stelly(tmp_path, "dev", "status", "--json")
    finally:
        control.close()
    assert result.returncode != 0
    assert "was not ready" in result.stderr
    assert all(r.process is not None and r.process.poll() is None for r in old)
    processes = json.loads(status.stdout)
    assert [(p["replica"], p["state"]) for p in processes] == [(1, "ready"), (2, "ready")]
    assert {p["pid"] for p in processes} == {r.process.pid for r in old if r.process}


def test_status_without_a_stack_says_so(tmp_path: Path) -> None:
    result = _stelly(tmp_path, "dev", "status")
    assert result.returncode == 1
    assert "no local stack is running" in result.stderr


def test_replicas_syntax() -> None:
    assert parse_replicas("menu=2, worker=3") == {
        "menu": 2,
        "realtime": 1,
        "media": 1,
        "worker": 3,
        "platform": 1,
    }
    assert parse_replicas(None) == dict.fromkeys(
        ("menu", "realtime", "media", "worker", "platform"), 1
    )
    for bad in ("gateway=2", "menu=0", "menu=x", "menu=9"):
        with pytest.raises(click.BadParameter):
            parse_replicas(bad)
