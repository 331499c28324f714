"""The real ``stelly`` command in a subprocess, against the test session's servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from stelly_core.db import Database

STELLY = [sys.executable, "-m", "stelly_cli"]


@pytest.fixture
def env(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STELLY_", "KZ_"))}
    return base | {
        "STELLY_DATABASE_URL": database_url,
        "STELLY_REDIS_URL": redis_url,
        "STELLY_STATE_DIR": str(tmp_path / "state"),
    }


def stelly(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*STELLY, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_tenant_lifecycle_through_the_cli(env: dict[str, str], unique_slug: str) -> None:
    created = stelly(
        env,
        "tenant",
        "create",
        unique_slug,
        "--name",
        "Cli Cafe",
        "--domain",
        f"{unique_slug}.example.org",
        "--owner-email",
        "o@cli.example",
        "--owner-password",
        "long-enough-pw",
    )
    assert created.returncode == 0, created.stderr
    assert f"created {unique_slug}" in created.stdout
    again = stelly(env, "tenant", "create", unique_slug, "--name", "Again")
    assert again.returncode == 1
    assert "tenant_exists" in again.stderr
    listed = stelly(env, "tenant", "list")
    line = next(x for x in listed.stdout.splitlines() if x.startswith(unique_slug + " "))
    assert "active" in line and f"{unique_slug}.example.org" in line
    assert "suspended" in stelly(env, "tenant", "suspend", unique_slug).stdout
    assert "active" in stelly(env, "tenant", "resume", unique_slug).stdout
    missing = stelly(env, "tenant", "suspend", "nosuchtenant")
    assert missing.returncode == 1 and "tenant_not_found" in missing.stderr


def test_malicious_slug_is_refused(env: dict[str, str]) -> None:
    result = stelly(env, "tenant", "create", "x'; DROP TABLE tenants; --", "--name", "x")
    assert result.returncode == 1
    assert "invalid_tenant" in result.stderr


async def test_migrate_reports_a_failing_tenant_and_exits_nonzero(
    env: dict[str, str], db: Database, unique_slug: str
) -> None:
    assert stelly(env, "tenant", "create", unique_slug, "--name", "Broken").returncode == 0
    # simulate a tenant whose schema lost its bookkeeping: the core migration meets its own table
    await db.pool.execute(
        "DELETE FROM tenant_migrations WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1);"
        "UPDATE tenants SET schema_head = NULL WHERE slug = $1".replace("$1", f"'{unique_slug}'")
    )
    result = stelly(env, "migrate", "-j", "2")
    assert result.returncode == 1
    assert f"FAILED {unique_slug}" in result.stderr
    assert "1 failed" in result.stdout


def test_missing_database_is_named(env: dict[str, str]) -> None:
    del env["STELLY_DATABASE_URL"]
    result = stelly(env, "tenant", "list")
    assert result.returncode == 2
    assert "STELLY_DATABASE_URL" in result.stderr


def test_malformed_setting_is_named(env: dict[str, str]) -> None:
    result = stelly(env | {"STELLY_MEDIA_MAX_BYTES": "lots"}, "migrate")
    assert result.returncode == 2
    assert "STELLY_MEDIA_MAX_BYTES" in result.stderr


def test_platform_admin_create(env: dict[str, str], unique_slug: str) -> None:
    email = f"ops-{unique_slug}@stelly.example"
    created = stelly(env, "platform-admin", "create", email.upper(), "--password", "long-enough-pw")
    assert created.returncode == 0, created.stderr
    assert f"created platform admin {email}" in created.stdout
    again = stelly(env, "platform-admin", "create", email, "--password", "long-enough-pw")
    assert again.returncode == 1 and "admin_exists" in again.stderr
    short = stelly(env, "platform-admin", "create", "x" + email, "--password", "short")
    assert short.returncode == 1 and "invalid_admin" in short.stderr
    # prompted (twice, hidden) when --password is not given
    prompted = subprocess.run(
        [*STELLY, "platform-admin", "create", "p" + email],
        env=env,
        input="long-enough-pw\nlong-enough-pw\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert prompted.returncode == 0, prompted.stderr
    assert f"created platform admin p{email}" in prompted.stdout


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["dev"],
        ["migrate"],
        ["seed-demo"],
        ["tenant"],
        ["tenant", "create"],
        ["tenant", "list"],
        ["tenant", "suspend"],
        ["tenant", "resume"],
        ["platform-admin"],
        ["platform-admin", "create"],
    ],
)
def test_every_command_has_help(env: dict[str, str], command: list[str]) -> None:
    result = stelly(env, *command, "--help")
    assert result.returncode == 0
    assert "Usage:" in result.stdout
