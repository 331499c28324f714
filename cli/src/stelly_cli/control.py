"""The control socket of a running ``stelly dev``: ``stelly dev status`` and ``restart``.

``stelly dev`` listens on a Unix socket, ``{state dir}/run/control.sock``,
readable by its owner only. A client sends one JSON line (``{"op": "status"}``
or ``{"op": "restart", "service": NAME}``) and reads JSON lines back:
progress lines ``{"message": ...}``, then one final line with ``"ok"``.
Each connection is served on its own thread, so a status query answers
while a rolling restart is running.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import socketserver
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from stelly_cli.supervisor import Supervisor

__all__ = ["ControlServer", "NoStack", "control_path", "request"]


class NoStack(Exception):
    """No ``stelly dev`` is running for this state directory."""


def control_path(state_dir: Path) -> Path:
    return state_dir / "run" / "control.sock"


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        try:
            message = json.loads(self.rfile.readline(65536) or b"{}")
        except ValueError:
            self._send({"ok": False, "error": "malformed request"})
            return
        supervisor = self.server.supervisor
        op = message.get("op") if isinstance(message, dict) else None
        if op == "status":
            self._send({"ok": True, "processes": supervisor.status()})
        elif op == "restart":
            service = str(message.get("service", ""))
            try:
                supervisor.rolling_restart(
                    service, lambda line: self._send({"message": line}), self.server.ready_timeout
                )
            except (ValueError, RuntimeError) as exc:
                supervisor.say(f"restart of {service} failed: {exc}")
                self._send({"ok": False, "error": str(exc)})
            else:
                supervisor.say(f"rolling restart of {service} done")
                self._send({"ok": True})
        else:
            self._send({"ok": False, "error": f"unknown op {op!r}"})

    def _send(self, payload: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            self.wfile.write(json.dumps(payload).encode() + b"\n")
            self.wfile.flush()


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    supervisor: Supervisor
    ready_timeout: float


class ControlServer:
    """Serves the control socket on background threads until :meth:`close`."""

    def __init__(self, supervisor: Supervisor, state_dir: Path, ready_timeout: float = 60.0):
        self.path = control_path(state_dir)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a stack that was killed
        old_umask = os.umask(0o177)
        try:
            self._server = _Server(str(self.path), _Handler)
        finally:
            os.umask(old_umask)
        self._server.supervisor = supervisor
        self._server.ready_timeout = ready_timeout
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="control", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def request(state_dir: Path, message: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Send one request to the running stack; yield its answer lines.

    Raises:
        NoStack: when no stack listens for ``state_dir``.
    """
    path = control_path(state_dir)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        raise NoStack(
            f"no local stack is running for {state_dir} (start one with `make run`)"
        ) from None
    with sock, sock.makefile("rwb") as stream:
        stream.write(json.dumps(message).encode() + b"\n")
        stream.flush()
        for line in stream:
            yield json.loads(line)
