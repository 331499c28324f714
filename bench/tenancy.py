"""Tenancy core benchmarks (issue 2), each figure beside a baseline from the same run.

- provisioning time per tenant with 10 and with N tenants already present;
- a no-op ``stelly migrate`` over N tenants, against the naive check of one
  round trip per tenant;
- resolution time per request through the real middleware with 2 tenants and
  with N tenants (warm cache, hosts cycling over every tenant), interleaved,
  and the uncached lookup with 2 and with N tenants.

Runs against ``STELLY_DATABASE_URL`` (in fresh databases it drops afterwards)
or an embedded PostgreSQL in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from litestar import Litestar, get
from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_core.localstack import configured_or_embedded_servers
from stelly_core.settings import Settings, load_settings
from stelly_tenancy.migrator import migrate, migrate_platform
from stelly_tenancy.plugin import TenancyPlugin
from stelly_tenancy.provisioning import NewTenant, create_tenant

SAMPLE = 20


def _db_url(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path="/" + name))


async def _fresh_database(server: str, settings: Settings) -> tuple[str, Database]:
    name = f"stelly_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = _db_url(server, name)
    db = await Database.connect(url, settings, max_size=4)
    await migrate_platform(db)
    return url, db


async def _drop(server: str, url: str) -> None:
    admin = await asyncpg.connect(server)
    await admin.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path[1:]}" WITH (FORCE)')
    await admin.close()


async def _provision(
    db: Database, prefix: str, start: int, count: int, hasher: PasswordHashing
) -> list[float]:
    times = []
    for n in range(start, start + count):
        began = time.perf_counter()
        await create_tenant(
            db, NewTenant(slug=f"{prefix}{n:05d}", name=f"Bench {n}"), hasher=hasher
        )
        times.append(time.perf_counter() - began)
    return times


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


class AsgiDriver:
    """Calls an app's ASGI interface directly: no HTTP parsing in the measurement."""

    def __init__(self, app: Litestar) -> None:
        self.app = app

    async def get(self, host: str) -> int:
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/api/v1/ping",
            "raw_path": b"/api/v1/ping",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", host.encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8001),
            "state": {},
        }
        await self.app(scope, receive, send)  # type: ignore[arg-type]
        return status


def _app(settings: Settings) -> Litestar:
    @get("/api/v1/ping", sync_to_thread=False)
    def ping() -> dict[str, str]:
        return {"ok": "yes"}

    return Litestar([ping], plugins=[TenancyPlugin(settings)])


async def _per_request(driver: AsgiDriver, hosts: list[str], requests: int) -> float:
    began = time.perf_counter()
    for i in range(requests):
        status = await driver.get(hosts[i % len(hosts)])
        if status != 200:
            raise RuntimeError(f"{hosts[i % len(hosts)]} answered {status}")
    return (time.perf_counter() - began) / requests


async def run(tenants: int, server: str, redis_url: str) -> int:
    base = load_settings({"STELLY_ENV": "test", "STELLY_TENANT_CACHE_TTL": "300"})
    hasher = PasswordHashing()
    print(f"tenants: {tenants}; sample of {SAMPLE} provisions per point", flush=True)

    big_url, big = await _fresh_database(server, base)
    small_url, small = await _fresh_database(server, base)
    try:
        # --- provisioning
        await _provision(big, "b", 0, 10, hasher)
        at_10 = await _provision(big, "b", 10, SAMPLE, hasher)
        filled_from = 10 + SAMPLE
        began = time.perf_counter()
        if tenants > filled_from:
            await _provision(big, "b", filled_from, tenants - filled_from, hasher)
        print(f"  (filled to {tenants} tenants in {time.perf_counter() - began:.1f}s)", flush=True)
        at_n = await _provision(big, "b", max(tenants, filled_from), SAMPLE, hasher)
        total = max(tenants, filled_from) + SAMPLE
        p10, pn = statistics.median(at_10), statistics.median(at_n)
        print(
            f"provisioning per tenant, 10 present:   median {_ms(p10)}  (p90 {_ms(sorted(at_10)[int(SAMPLE * 0.9)])})"
        )
        print(
            f"provisioning per tenant, {tenants} present: median {_ms(pn)}  (p90 {_ms(sorted(at_n)[int(SAMPLE * 0.9)])})"
            f"  ratio {pn / p10:.2f}x  target < 250 ms: {'PASS' if pn < 0.25 else 'FAIL'}"
        )

        # --- no-op migrate vs the naive per-tenant check
        await migrate(big)
        runs = []
        for _ in range(3):
            report = await migrate(big)
            assert report.ok
            assert report.tenants_checked == 0
            runs.append(report.seconds)
        noop = statistics.median(runs)
        began = time.perf_counter()
        async with big.pool.acquire() as conn:
            for tid in await conn.fetch("SELECT id FROM tenants"):
                await conn.fetch(
                    "SELECT version FROM tenant_migrations WHERE tenant_id = $1", tid["id"]
                )
        naive = time.perf_counter() - began
        print(
            f"no-op migrate over {total} tenants: {noop * 1000:.1f} ms "
            f"(naive per-tenant check, same run: {naive * 1000:.1f} ms, {naive / noop:.0f}x slower)"
            f"  target < 5 s: {'PASS' if noop < 5 else 'FAIL'}"
        )

        # --- resolution
        await create_tenant(small, NewTenant(slug="small-a", name="A"), hasher=hasher)
        await create_tenant(small, NewTenant(slug="small-b", name="B"), hasher=hasher)
        small_hosts = ["small-a.localhost", "small-b.localhost"]
        big_hosts = [
            r["slug"] + ".localhost" for r in await big.pool.fetch("SELECT slug FROM tenants")
        ]
        apps = {}
        for label, url in (("2", small_url), ("N", big_url)):
            settings = base.model_copy(update={"database_url": url, "redis_url": redis_url})
            app = _app(settings)
            apps[label] = app
        async with apps["2"].lifespan(), apps["N"].lifespan():
            drivers = {k: AsgiDriver(v) for k, v in apps.items()}
            await _per_request(drivers["2"], small_hosts, 200)  # warm both caches
            await _per_request(drivers["N"], big_hosts, len(big_hosts))
            warm: dict[str, list[float]] = {"2": [], "N": []}
            for _ in range(21):  # short interleaved rounds; the best round is the least disturbed
                warm["2"].append(await _per_request(drivers["2"], small_hosts, len(big_hosts)))
                warm["N"].append(await _per_request(drivers["N"], big_hosts, len(big_hosts)))
            w2, wn = min(warm["2"]), min(warm["N"])
            print(
                f"resolution per request (warm, full middleware, best of 21 interleaved rounds), 2 tenants: {w2 * 1e6:.1f} us; "
                f"{len(big_hosts)} tenants: {wn * 1e6:.1f} us; ratio {wn / w2:.3f}  "
                f"target <= 1.05: {'PASS' if wn / w2 <= 1.05 else 'FAIL'}"
            )
            cold: dict[str, list[float]] = {"2": [], "N": []}
            for _ in range(5):
                for label, hosts in (("2", small_hosts), ("N", big_hosts)):
                    resolver = apps[label].state["context"].resolver
                    began = time.perf_counter()
                    for i in range(400):
                        resolver.clear()
                        await resolver.resolve(hosts[(i * 7919) % len(hosts)])
                    cold[label].append((time.perf_counter() - began) / 400)
            c2, cn = statistics.median(cold["2"]), statistics.median(cold["N"])
            print(
                f"uncached lookup (one indexed query), 2 tenants: {c2 * 1e6:.0f} us; "
                f"{len(big_hosts)} tenants: {cn * 1e6:.0f} us; ratio {cn / c2:.2f}"
            )
    finally:
        await big.close()
        await small.close()
        await _drop(server, big_url)
        await _drop(server, small_url)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tenancy")
    parser.add_argument("--tenants", type=int, default=1000)
    args, _ = parser.parse_known_args(argv)
    with configured_or_embedded_servers() as (server, redis_url):
        return asyncio.run(run(args.tenants, server, redis_url))


if __name__ == "__main__":
    sys.exit(main())
