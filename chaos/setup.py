"""The chaos run's world: its own PostgreSQL and Valkey, the stack on them, a tenant of its own.

Invariants: nothing here touches ``.stelly/`` of the checkout (a temp state
directory per run); the tenant is not a demo tenant, so every order in its
schema was placed by this run; the stack runs 2 replicas of every service
(``STELLY_DEV_REPLICAS``) unless told otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import asyncpg
from stelly_cli.control import request
from stelly_cli.devstack import running_stack
from stelly_core.localstack import EmbeddedPostgres, EmbeddedValkey, free_port

from chaos.gateway import Target

if TYPE_CHECKING:
    from collections.abc import Iterator

    from stelly_cli.devstack import RunningStack

__all__ = ["ROOT", "ChaosStack", "chaos_stack", "prepare_tenant"]

ROOT = Path(__file__).resolve().parents[1]
SLUG = "chaos"
OWNER_EMAIL = "owner@chaos.test"
OWNER_PASSWORD = "chaos-run-owner-password"  # noqa: S105 - a throwaway tenant in a temp database


@dataclass
class ChaosStack:
    """The data servers, the running stack, and the environment of ``stelly`` commands on it."""

    postgres: EmbeddedPostgres
    valkey: EmbeddedValkey
    stack: RunningStack

    def cli_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STELLY_", "KZ_"))}
        return env | {
            "STELLY_STATE_DIR": str(self.stack.state_dir),
            "STELLY_DATABASE_URL": self.postgres.url,
            "STELLY_REDIS_URL": self.valkey.url,
        }

    def stelly(self, *args: str, timeout: float = 120.0, check: bool = True) -> str:
        """Run ``python -m stelly_cli ARGS`` on this stack; its stdout."""
        done = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            [sys.executable, "-m", "stelly_cli", *args],
            cwd=ROOT,
            env=self.cli_env() | {"STELLY_OWNER_PASSWORD": OWNER_PASSWORD},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"stelly {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def status(self) -> list[dict[str, Any]]:
        """What ``stelly dev status --json`` prints, asked over the same control socket.

        In-process rather than a new ``python -m stelly_cli`` each time: the
        fault loops poll it every half second, and a Python start-up per poll
        is CPU taken from the stack at the moment being measured.
        """
        answer = next(iter(request(self.stack.state_dir, {"op": "status"})), {})
        return list(answer.get("processes", []))


@contextlib.contextmanager
def chaos_stack(
    replicas: str, *, drain_seconds: float, close_window: float, keep: bool = False
) -> Iterator[ChaosStack]:
    """Start PostgreSQL, Valkey (AOF) and the stack on them; stop all of it on exit."""
    tmp = Path(tempfile.mkdtemp(prefix="stelly-chaos-"))
    os.chmod(tmp, 0o755)  # noqa: S103 - the embedded PostgreSQL runs as its own user
    # a fixed port, so that a Valkey killed and restarted is at the same URL
    postgres = EmbeddedPostgres(tmp / "pg")
    valkey = EmbeddedValkey(tmp / "valkey", port=free_port())
    try:
        postgres.start()
        valkey.start()
        env = {
            "STELLY_DATABASE_URL": postgres.url,
            "STELLY_REDIS_URL": valkey.url,
            "STELLY_DEV_REPLICAS": replicas,
            "STELLY_DRAIN_SECONDS": str(drain_seconds),
            "STELLY_REALTIME_CLOSE_WINDOW": str(close_window),
        }
        with running_stack(tmp / "stack", env=env, timeout=300) as stack:
            yield ChaosStack(postgres, valkey, stack)
    finally:
        valkey.stop()
        postgres.stop()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


async def _json(session: aiohttp.ClientSession, method: str, url: str, **kw: Any) -> Any:
    async with session.request(method, url, **kw) as response:
        if response.status >= 400:
            raise RuntimeError(f"{method} {url}: {response.status} {await response.text()}")
        return await response.json()


async def prepare_tenant(chaos: ChaosStack) -> Target:
    """Create the tenant, log its owner in, give it a menu; wait for the outbox to drain.

    The menu's events reach the ``menu`` stream before the crowd subscribes,
    so a crowd socket resumes from a stream that exists.
    """
    await asyncio.to_thread(
        chaos.stelly,
        "tenant", "create", SLUG, "--name", "Chaos Kitchen", "--owner-email", OWNER_EMAIL,
    )  # fmt: skip
    port = chaos.stack.ports["gateway"]
    base, host = f"http://127.0.0.1:{port}", {"host": f"{SLUG}.localhost:{port}"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        login = await _json(
            session, "POST", base + "/api/v1/auth/token", headers=host,
            json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD},
        )  # fmt: skip
        token = str(login["access_token"])
        staff = host | {"authorization": f"Bearer {token}"}
        orderable = []
        for name in ("Mains", "Sides"):
            category = await _json(
                session, "POST", base + "/api/v1/admin/categories", headers=staff,
                json={"name": name},
            )  # fmt: skip
            for n, price in enumerate((800, 1150, 1390)):
                item = await _json(
                    session, "POST", base + "/api/v1/admin/items", headers=staff,
                    json={"category_id": category["id"], "name": f"{name} {n + 1}",
                          "price": price, "description": "On the chaos menu.", "tags": []},
                )  # fmt: skip
                orderable.append(int(item["id"]))
    await wait_outbox_empty(chaos.postgres.url, within=30)
    return Target(port, SLUG, token, orderable)


async def outbox_rows(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM public.event_outbox"))
    finally:
        await conn.close()


async def wait_outbox_empty(database_url: str, *, within: float) -> int:
    """Poll ``public.event_outbox`` until it is empty or ``within`` seconds; the rows left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        try:
            rows = await outbox_rows(database_url)
        except (OSError, asyncpg.PostgresError):
            rows = -1
        if rows == 0 or loop.time() > deadline:
            return rows
        await asyncio.sleep(0.5)
