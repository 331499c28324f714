"""``stelly dev``: the whole local stack in one command (what ``make run`` calls).

Starts embedded PostgreSQL and Valkey and the Azurite storage emulator under
``.stelly/`` unless URLs / a connection string are configured, publishes the
URLs for other ``stelly`` commands of this checkout, migrates, seeds the demo
tenants, then starts menu, realtime, media, the media worker and the gateway,
waits until each is healthy and prints the URLs. Ctrl-C (or SIGTERM) stops
everything it started. Data persists between runs; ``make reset`` wipes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from stelly_core.localstack import (
    EmbeddedPostgres,
    EmbeddedValkey,
    StackState,
    azurite_command,
    azurite_connection_string,
    write_stack_state,
)
from stelly_core.settings import SettingsError, load_settings
from stelly_tenancy.migrator import migrate as run_migrations

from stelly_cli.migrate import print_report
from stelly_cli.runtime import connections
from stelly_cli.seed import DEMO_PASSWORD, DEMO_TENANTS, seed_demo_tenants
from stelly_cli.supervisor import Child, Supervisor

if TYPE_CHECKING:
    from stelly_core.settings import Settings

__all__ = ["dev"]


def _repo_root() -> Path:
    here = Path.cwd().resolve()
    for parent in (here, *here.parents):
        if (parent / "package.json").is_file() and (parent / "pyproject.toml").is_file():
            return parent
    return here


async def _prepare(settings: Settings) -> None:
    async with connections(settings) as (db, redis):
        print_report(await run_migrations(db))
        for line in await seed_demo_tenants(db, redis):
            click.echo(line)


def _azurite(root: Path, state_dir: Path, port: int) -> Child:
    location = state_dir / "azurite"
    location.mkdir(parents=True, exist_ok=True)
    try:
        argv = azurite_command(root, port, location)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    return Child(
        "azurite",
        argv,
        health_url=None,
        stop_signal=signal.SIGINT,  # Azurite saves its metadata and exits on Ctrl-C
    )


def _service(name: str, module: str, port: int | None) -> Child | None:
    if importlib.util.find_spec(module) is None:
        click.secho(f"{name}: package {module} is not installed, skipped", fg="yellow", err=True)
        return None
    argv = [sys.executable, "-m", module]
    if port is not None:
        argv += ["--port", str(port)]
    health = f"http://127.0.0.1:{port}/healthz" if port is not None else None
    return Child(name, argv, health_url=health)


def _wait_port(port: int, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


@click.command()
@click.option("--port", type=int, default=None, help="Gateway port (default STELLY_PORT or 8080).")
@click.option("--menu-port", type=int, default=8001, show_default=True)
@click.option("--realtime-port", type=int, default=8002, show_default=True)
@click.option("--media-port", type=int, default=8003, show_default=True)
@click.option("--azurite-port", type=int, default=10000, show_default=True)
def dev(
    port: int | None, menu_port: int, realtime_port: int, media_port: int, azurite_port: int
) -> None:
    """Start the whole local stack; Ctrl-C stops everything it started."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    gateway_port = port or int(os.environ.get("STELLY_PORT", "8080"))
    root = _repo_root()
    state_dir = settings.state_dir.resolve()
    frontdoor_id = settings.frontdoor_id or f"local-{secrets.token_hex(8)}"
    postgres = valkey = None
    supervisor: Supervisor | None = None
    stop_requested = False

    def request_stop(*_: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        db_url, redis_url = settings.database_url, settings.redis_url
        if db_url is None:
            postgres = EmbeddedPostgres(state_dir / "pg")
            db_url = postgres.start()
            click.echo(f"embedded PostgreSQL: {db_url}")
        if redis_url is None:
            valkey = EmbeddedValkey(state_dir / "valkey")
            redis_url = valkey.start()
            click.echo(f"embedded Valkey: {redis_url}")
        write_stack_state(state_dir, StackState(os.getpid(), db_url, redis_url, frontdoor_id))
        settings = settings.model_copy(update={"database_url": db_url, "redis_url": redis_url})
        asyncio.run(_prepare(settings))

        env = {k: v for k, v in os.environ.items()}
        env |= {
            "STELLY_DATABASE_URL": db_url,
            "STELLY_REDIS_URL": redis_url,
            "STELLY_FRONTDOOR_ID": frontdoor_id,
            "STELLY_STATE_DIR": str(state_dir),
            "STELLY_PORT": str(gateway_port),
            "STELLY_MENU_URL": f"http://127.0.0.1:{menu_port}",
            "STELLY_REALTIME_URL": f"http://127.0.0.1:{realtime_port}",
            "STELLY_MEDIA_URL": f"http://127.0.0.1:{media_port}",
            "STELLY_WEB_DIST": str(root / "web" / "dist"),
            "STELLY_REALTIME_PUBLIC_URL": settings.realtime_public_url
            or f"ws://{{host}}:{gateway_port}/ws/v1",
        }
        supervisor = Supervisor(env)
        if not (settings.blob_connection_string or settings.blob_account_url):
            supervisor.start(_azurite(root, state_dir, azurite_port))
            _wait_port(azurite_port)
            supervisor.base_env |= {
                "STELLY_BLOB_CONNECTION_STRING": azurite_connection_string(azurite_port),
                "STELLY_ASSETS_BASE_URL": settings.assets_base_url
                or f"http://127.0.0.1:{azurite_port}/devstoreaccount1/stelly-assets",
            }
        children = [
            _service("menu", "stelly_menu", menu_port),
            _service("realtime", "stelly_realtime", realtime_port),
            _service("media", "stelly_media", media_port),
            _service("media-worker", "stelly_media.worker", None),
            _service("gateway", "stelly_gateway", None),
        ]
        for child in children:
            if child is not None:
                if child.name == "gateway":
                    child.health_url = f"http://127.0.0.1:{gateway_port}/healthz"
                supervisor.start(child)
        for child in children:
            if child is not None:
                supervisor.wait_healthy(child)
        base = settings.base_domain
        click.echo("")
        click.secho(f"Stelly is running: http://localhost:{gateway_port}", bold=True)
        for spec in DEMO_TENANTS:
            click.echo(
                f"  http://{spec.slug}.{base}:{gateway_port}/api/v1/store/menu"
                f"   owner {spec.owner_email} / {DEMO_PASSWORD}"
            )
        click.echo("Press Ctrl-C to stop.")
        while not stop_requested:
            dead = supervisor.dead_child()
            if dead is not None:
                raise click.ClickException(f"{dead.name} exited unexpectedly; stopping the stack")
            time.sleep(0.5)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        click.echo("stopping...")
        if supervisor is not None:
            supervisor.stop_all()
        with contextlib.suppress(FileNotFoundError):
            (state_dir / "run" / "stack.json").unlink()
        if valkey is not None:
            valkey.stop()
        if postgres is not None:
            postgres.stop()
        click.echo("stopped.")
