"""The local stack under load: ``stelly dev`` on free loopback ports, temp state."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from stelly_core.localstack import free_port

__all__ = ["ROOT", "LocalStack"]

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class LocalStack:
    """A running ``stelly dev``: its ports, its Front Door id, its state directory."""

    ports: dict[str, int]
    frontdoor_id: str
    state_dir: Path
    process: subprocess.Popen[bytes]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self) -> dict[str, str]:
        """The environment for ``stelly`` commands acting on this stack."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STELLY_", "KZ_"))}
        env["STELLY_STATE_DIR"] = str(self.state_dir)
        return env

    @classmethod
    def start(cls, timeout: float = 240.0) -> LocalStack:
        state = Path(tempfile.mkdtemp(prefix="stelly-loadtest-"))
        # Embedded PostgreSQL refuses root and runs as another user, which
        # must reach its data directory below this one (as in test_e2e_stack).
        os.chmod(state, 0o755)  # noqa: S103
        ports = {name: free_port() for name in ("gateway", "menu", "realtime", "media", "azurite")}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STELLY_", "KZ_"))}
        env["STELLY_STATE_DIR"] = str(state)
        log = (state / "stack.log").open("wb")
        argv = [sys.executable, "-m", "stelly_cli", "dev", "--port", str(ports["gateway"])]
        for name in ("menu", "realtime", "media", "azurite"):
            argv += [f"--{name}-port", str(ports[name])]
        process = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while b"Stelly is running" not in (state / "stack.log").read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(
                    "stack did not start:\n" + (state / "stack.log").read_text()[-4000:]
                )
            time.sleep(0.5)
        stack_state = json.loads((state / "run" / "stack.json").read_text())
        return cls(ports, stack_state["frontdoor_id"], state, process)

    def pid_of(self, module: str) -> int | None:
        """The process id of the child running ``python -m module`` (for CPU figures)."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if module.encode() in argv and str(self.ports.get(module.split("_")[-1], "")) in {
                a.decode(errors="replace") for a in argv
            }:
                return int(entry.name)
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
