"""Run ``stelly dev`` as a subprocess on free ports: for end-to-end tests, benches and load tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stelly_core.localstack import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = ["RunningStack", "running_stack"]

READY_LINE = b"Stelly is running"


@dataclass(frozen=True, slots=True)
class RunningStack:
    """Where a running local stack listens."""

    ports: Mapping[str, int]
    state_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def traces(self) -> Path:
        """Where the stack's processes write their spans (``stelly trace`` reads them)."""
        return self.state_dir / "traces"

    def host(self, slug: str) -> str:
        """The ``Host`` of a tenant on this stack's gateway."""
        return f"{slug}.localhost:{self.ports['gateway']}"


@contextlib.contextmanager
def running_stack(
    state_dir: Path, *, env: Mapping[str, str] | None = None, timeout: float = 180.0
) -> Iterator[RunningStack]:
    """Start the local stack, wait until it is ready, stop it (SIGINT) on exit.

    Args:
        state_dir: where its databases and logs live (``STELLY_STATE_DIR``).
        env: extra environment; ``STELLY_*``/``KZ_*`` of this process are not inherited.
        timeout: seconds to wait for the stack to be ready.

    Yields:
        The running stack.

    Raises:
        RuntimeError: with the log's tail when it does not start or does not stop cleanly.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o755)  # noqa: S103 - the embedded PostgreSQL runs as its own user
    ports = {
        n: free_port() for n in ("gateway", "menu", "realtime", "media", "platform", "azurite")
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STELLY_", "KZ_"))}
    full_env = base | {"STELLY_STATE_DIR": str(state_dir)} | dict(env or {})
    log = state_dir / "stack.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [
                sys.executable,
                "-m",
                "stelly_cli",
                "dev",
                "--port",
                str(ports["gateway"]),
                "--menu-port",
                str(ports["menu"]),
                "--realtime-port",
                str(ports["realtime"]),
                "--media-port",
                str(ports["media"]),
                "--platform-port",
                str(ports["platform"]),
                "--azurite-port",
                str(ports["azurite"]),
            ],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while READY_LINE not in log.read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the stack did not start:\n" + log.read_text()[-4000:])
                time.sleep(0.3)
            yield RunningStack(ports, state_dir, log, process)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if process.returncode != 0:
        raise RuntimeError("the stack did not stop cleanly:\n" + log.read_text()[-3000:])
