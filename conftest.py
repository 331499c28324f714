"""Servers every test session needs: real PostgreSQL and real Redis/Valkey.

With ``STELLY_DATABASE_URL`` / ``STELLY_REDIS_URL`` set, tests use those
servers (each session in a database of its own); otherwise they start the
embedded PostgreSQL and Valkey and remove them afterwards
(``STELLY_REDIS_CLUSTER=true``: that Valkey runs in cluster mode).

Cluster mode: a second, embedded Valkey runs in cluster mode (one node, all
16,384 slots), where a multi-key command, transaction or script across hash
slots fails with ``CROSSSLOT`` as on Azure Managed Redis. A test module
marked ``pytest.mark.redis_cluster`` runs each test that takes the ``redis``
fixture twice, on the standalone and on the cluster-mode server.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from redis.asyncio import Redis
from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_core.localstack import EmbeddedPostgres, EmbeddedValkey
from stelly_core.redis import connect_redis
from stelly_core.settings import Settings, load_settings
from stelly_tenancy.migrator import migrate_platform
from stelly_tenancy.models import Tenant
from stelly_tenancy.provisioning import NewTenant, create_tenant

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A PostgreSQL server's URL (its default database)."""
    configured = os.environ.get("STELLY_DATABASE_URL")
    if configured:
        yield configured
        return
    with tempfile.TemporaryDirectory(prefix="stelly-pg-") as tmp:
        os.chmod(tmp, 0o755)  # the embedded server runs as its own user when we are root
        server = EmbeddedPostgres(Path(tmp) / "data", delete_on_stop=True)
        url = server.start()
        try:
            yield url
        finally:
            server.stop()


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A fresh database for this session with the platform schema, dropped at the end."""
    name = f"stelly_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _with_database(server_url, name)
    database = await Database.connect(url, load_settings({"STELLY_ENV": "test"}), max_size=1)
    try:
        await migrate_platform(database)
    finally:
        await database.close()
    yield url
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


#: The Valkey modes a ``redis_cluster``-marked module runs its ``redis`` tests in.
REDIS_MODES = ("standalone", "cluster")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "redis_cluster: run the module's tests that take `redis` on standalone and "
        "on cluster-mode Valkey",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # "redis_mode": only where `redis` is the root one (a conftest may define its own)
    if "redis_mode" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "redis_cluster"
    ):
        metafunc.parametrize("redis_mode", REDIS_MODES, indirect=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[EmbeddedValkey | None]:
    """The embedded Valkey, or ``None`` when ``STELLY_REDIS_URL`` is set."""
    if os.environ.get("STELLY_REDIS_URL"):
        yield None
        return
    flag = os.environ.get("STELLY_REDIS_CLUSTER")
    env = {"STELLY_ENV": "test"} | ({"STELLY_REDIS_CLUSTER": flag} if flag else {})
    server = EmbeddedValkey(cluster=load_settings(env).redis_cluster)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_cluster_url() -> Iterator[str]:
    """An embedded Valkey in cluster mode (one node holding every hash slot)."""
    server = EmbeddedValkey(cluster=True)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: EmbeddedValkey | None) -> str:
    if redis_server is None:
        return os.environ["STELLY_REDIS_URL"]
    return redis_server.url


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str) -> Settings:
    return load_settings(
        {
            "STELLY_ENV": "test",
            "STELLY_DATABASE_URL": database_url,
            "STELLY_REDIS_URL": redis_url,
            "KZ_SECRET_KEY": TEST_SECRET,
            "STELLY_TENANT_CACHE_TTL": "30",
        }
    )


@pytest.fixture(scope="session")
async def db(settings: Settings, database_url: str) -> AsyncIterator[Database]:
    """The session's pool."""
    database = await Database.connect(database_url, settings, max_size=8)
    yield database
    await database.close()


@pytest.fixture
def unique_slug() -> str:
    """A slug no other test uses."""
    return "t" + secrets.token_hex(5)


@pytest.fixture(scope="session")
def hasher() -> PasswordHashing:
    return PasswordHashing()


@pytest.fixture
def redis_mode(request: pytest.FixtureRequest) -> str:
    """``standalone`` (the session's server), or ``cluster`` in a ``redis_cluster`` module."""
    return str(getattr(request, "param", "standalone"))


@pytest.fixture
async def redis(request: pytest.FixtureRequest, redis_mode: str) -> AsyncIterator[Redis]:
    """A Redis client on the session's server (or the cluster-mode one, see ``redis_mode``)."""
    url = request.getfixturevalue("redis_cluster_url" if redis_mode == "cluster" else "redis_url")
    client = connect_redis(url)
    yield client
    await client.aclose()


@pytest.fixture
def make_tenant(
    db: Database, unique_slug: str, hasher: PasswordHashing
) -> Callable[..., Awaitable[Tenant]]:
    """Provision a tenant with a fresh slug (``{unique_slug}-0``, ``-1``...); ``NewTenant`` fields as keywords."""
    counter = iter(range(1000))

    async def make(**overrides: Any) -> Tenant:
        slug = overrides.pop("slug", f"{unique_slug}-{next(counter)}")
        spec = NewTenant(slug=slug, name=overrides.pop("name", slug.title()), **overrides)
        return await create_tenant(db, spec, hasher=hasher)

    return make


class MetricReadings:
    """What an in-memory metric reader collected, summed by metric name and attributes."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader

    def value(self, name: str, attributes: dict[str, Any] | None = None) -> float | None:
        """The sum (counters, gauges) or count (histograms) of ``name``'s points whose
        attributes include ``attributes``; ``None`` when no such point was recorded."""
        found: float | None = None
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name != name:
                        continue
                    for point in metric.data.data_points:
                        if (attributes or {}).items() <= dict(point.attributes or {}).items():
                            amount = getattr(point, "value", None)
                            if amount is None:
                                amount = point.count
                            found = (found or 0) + amount
        return found


@pytest.fixture
def metric_readings() -> Iterator[MetricReadings]:
    """A MeterProvider with an in-memory reader, the global one for this test.

    The OpenTelemetry API lets its global MeterProvider be set once per
    process; the fixture resets that guard (as OpenTelemetry's own test
    utilities do) and puts the previous provider back afterwards.
    """
    from opentelemetry.metrics import _internal as metrics_api
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.util._once import Once

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    previous = (metrics_api._METER_PROVIDER, metrics_api._METER_PROVIDER_SET_ONCE)
    metrics_api._METER_PROVIDER_SET_ONCE = Once()
    metrics_api.set_meter_provider(provider)
    try:
        yield MetricReadings(reader)
    finally:
        metrics_api._METER_PROVIDER, metrics_api._METER_PROVIDER_SET_ONCE = previous
        provider.shutdown()
