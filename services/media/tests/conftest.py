"""The media tests' servers: real Azurite (from npm), plus the session's PostgreSQL and Valkey.

Azurite is installed from the repository's ``package-lock.json`` with
``npm ci`` when ``node_modules`` is missing, started on a free port in a
temporary directory, and stopped at the end of the session.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from stelly_core.auth import PasswordHashing, issue_token
from stelly_core.db import Database
from stelly_core.localstack import azurite_command, azurite_connection_string, free_port
from stelly_core.settings import Settings
from stelly_media.app import create_app
from stelly_media.jobs.redis_streams import DEAD_LETTER_STREAM, GROUP, STREAM
from stelly_media.storage import BlobStore
from stelly_tenancy.models import Tenant
from stelly_tenancy.provisioning import NewTenant, create_tenant

REPO = Path(__file__).resolve().parents[3]


def _wait_for_port(port: int, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"azurite exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("azurite did not start listening")


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """A running Azurite blob service; yields its connection string."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="stelly-azurite-") as location:
        process = subprocess.Popen(
            azurite_command(REPO, port, Path(location)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_for_port(port, process, time.monotonic() + 60)
            yield azurite_connection_string(port)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="session")
def media_settings(settings: Settings, azurite: str) -> Settings:
    return settings.model_copy(update={"blob_connection_string": azurite})


@pytest.fixture
async def empty_queue(redis: Redis) -> None:
    """No job or dead letter left from an earlier test (tests run one at a time).

    The consumer group is recreated as a deployed system has it.
    """
    await redis.delete(STREAM, DEAD_LETTER_STREAM)
    await redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)


@pytest.fixture
async def store(media_settings: Settings) -> AsyncIterator[BlobStore]:
    blobs = BlobStore.from_settings(media_settings)
    await blobs.ensure_container()
    yield blobs
    await blobs.close()


@pytest.fixture(scope="session")
async def client(media_settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(create_app(media_settings)) as c:
        yield c


@dataclass(frozen=True)
class Store:
    """A provisioned tenant with its host header and a token per role."""

    tenant: Tenant
    tokens: dict[str, str]

    def headers(self, role: str | None = "manager") -> dict[str, str]:
        headers = {"host": f"{self.tenant.slug}.localhost"}
        if role is not None:
            headers["authorization"] = f"Bearer {self.tokens[role]}"
        return headers


MakeStore = Callable[[], Awaitable[Store]]


@pytest.fixture(scope="session")
def hasher() -> PasswordHashing:
    return PasswordHashing()


async def provision_store(
    db: Database, slug: str, hasher: PasswordHashing, settings: Settings
) -> Store:
    """Provision a tenant ``slug`` with an owner, a manager and a staff member."""
    tenant = await create_tenant(
        db,
        NewTenant(
            slug=slug, name=slug, owner_email=f"o@{slug}.example", owner_password="owner-pass"
        ),
        hasher=hasher,
    )
    tokens = {}
    async with db.tenant(tenant.schema) as conn:
        for role in ("owner", "manager", "staff"):
            user_id = await conn.fetchval(
                "INSERT INTO staff_users (email, password_hash, role) VALUES ($1, 'x', $2)"
                " RETURNING id",
                f"{role}@{slug}.example",
                role,
            )
            tokens[role] = issue_token(
                settings.secret_key,
                tenant_id=tenant.id,
                subject=str(user_id),
                kind="staff",
                role=role,
                ttl_seconds=600,
            )
    return Store(tenant, tokens)


@pytest.fixture
def make_store(
    db: Database, unique_slug: str, hasher: PasswordHashing, media_settings: Settings
) -> MakeStore:
    """Provision a tenant with an owner, a manager and a staff member."""
    counter = iter(range(100))

    async def make() -> Store:
        return await provision_store(db, f"{unique_slug}-{next(counter)}", hasher, media_settings)

    return make


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of a worker process for these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STELLY_")}
    env.update(
        {
            "STELLY_ENV": settings.environment.value,
            "STELLY_DATABASE_URL": settings.database_url or "",
            "STELLY_REDIS_URL": settings.redis_url or "",
            "KZ_SECRET_KEY": settings.secret_key,
            "STELLY_BLOB_CONNECTION_STRING": settings.blob_connection_string or "",
            "STELLY_QUEUE": "redis",
        }
    )
    return env


class Workers:
    """Worker processes started by a test; every one is stopped at teardown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start a worker with these arguments, and ``env`` over the settings' environment."""
        process = subprocess.Popen(
            [sys.executable, "-m", "stelly_media.worker", *args],
            env={**worker_env(self.settings), **(env or {})},
            cwd=REPO,
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(media_settings: Settings) -> Iterator[Workers]:
    started = Workers(media_settings)
    yield started
    started.stop_all()
