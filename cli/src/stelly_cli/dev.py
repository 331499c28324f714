"""``stelly dev``: the whole local stack in one command (what ``make run`` calls).

Starts embedded PostgreSQL and Valkey and the Azurite storage emulator under
``.stelly/`` unless URLs / a connection string are configured, publishes the
URLs for other ``stelly`` commands of this checkout, migrates, seeds the demo
tenants and the local console admin, then starts menu, realtime, media,
the media worker, the platform console's API (as many
replicas of each as ``--replicas`` / ``STELLY_DEV_REPLICAS`` say, 1 by
default) and the gateway, waits until each is ready and prints the URLs.
A process that crashes is restarted with backoff (:mod:`stelly_cli.supervisor`);
``stelly dev status`` and ``stelly dev restart SERVICE`` act on the running
stack through its control socket (:mod:`stelly_cli.control`). Only Ctrl-C (or
SIGTERM) stops everything it started. Every process writes its spans under
``.stelly/traces`` (``STELLY_TRACE_DIR``, all sampled) for ``stelly trace``.
Data persists between runs; ``make reset`` wipes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
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

from stelly_cli.control import ControlServer, NoStack, request
from stelly_cli.migrate import print_report
from stelly_cli.platform_admin import DEV_ADMIN_EMAIL, seed_dev_admin
from stelly_cli.runtime import connections
from stelly_cli.seed import DEMO_PASSWORD, DEMO_TENANTS, seed_demo_tenants
from stelly_cli.supervisor import ServiceSpec, Supervisor

if TYPE_CHECKING:
    from collections.abc import Callable

    from stelly_core.settings import Settings

__all__ = ["SERVICES", "dev", "parse_replicas"]


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
        # the local stack's console admin, like the demo owners (never in production)
        click.echo(await seed_dev_admin(db, DEMO_PASSWORD))


SERVICES = ("menu", "realtime", "media", "worker", "platform")


def parse_replicas(text: str | None) -> dict[str, int]:
    """``menu=2,realtime=2,media=2,worker=2`` → replicas per service (1 for each not named).

    Raises:
        click.BadParameter: for an unknown service or a count outside 1..8.
    """
    counts = dict.fromkeys(SERVICES, 1)
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in counts:
            raise click.BadParameter(
                f"unknown service {name!r} (one of {', '.join(SERVICES)})", param_hint="--replicas"
            )
        try:
            count = int(value)
        except ValueError:
            count = 0
        if not 1 <= count <= 8:
            raise click.BadParameter(f"{name}: replicas must be 1..8", param_hint="--replicas")
        counts[name] = count
    return counts


def _azurite_spec(root: Path, state_dir: Path, port: int) -> ServiceSpec:
    location = state_dir / "azurite"
    location.mkdir(parents=True, exist_ok=True)
    try:
        argv = azurite_command(root, port, location)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    return ServiceSpec(
        "azurite",
        lambda _port: argv,
        health_path=None,
        listens=False,
        stop_signal=signal.SIGINT,  # Azurite saves its metadata and exits on Ctrl-C
    )


def _module_argv(module: str) -> Callable[[int | None], list[str]]:
    def argv(port: int | None) -> list[str]:
        return [sys.executable, "-m", module] + ([] if port is None else ["--port", str(port)])

    return argv


def _service_specs() -> dict[str, ServiceSpec]:
    specs = {
        "menu": ServiceSpec("menu", _module_argv("stelly_menu"), origin="menu"),
        "realtime": ServiceSpec("realtime", _module_argv("stelly_realtime"), origin="realtime"),
        "media": ServiceSpec("media", _module_argv("stelly_media"), origin="media"),
        "worker": ServiceSpec(
            "worker", _module_argv("stelly_media.worker"), health_path=None, listens=False
        ),
        "platform": ServiceSpec("platform", _module_argv("stelly_platform"), origin="platform"),
    }
    for name, module in (
        ("menu", "stelly_menu"),
        ("realtime", "stelly_realtime"),
        ("media", "stelly_media"),
        ("platform", "stelly_platform"),
    ):
        if importlib.util.find_spec(module) is None:
            click.secho(
                f"{name}: package {module} is not installed, skipped", fg="yellow", err=True
            )
            del specs[name]
    if "media" not in specs:
        specs.pop("worker", None)
    return specs


def _wait_port(port: int, timeout: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port}")


@click.group(invoke_without_command=True)
@click.option("--port", type=int, default=None, help="Gateway port (default STELLY_PORT or 8080).")
@click.option("--menu-port", type=int, default=8001, show_default=True)
@click.option("--realtime-port", type=int, default=8002, show_default=True)
@click.option("--media-port", type=int, default=8003, show_default=True)
@click.option("--platform-port", type=int, default=8004, show_default=True)
@click.option("--azurite-port", type=int, default=10000, show_default=True)
@click.option(
    "--replicas",
    envvar="STELLY_DEV_REPLICAS",
    default=None,
    help="Replicas per service, e.g. menu=2,realtime=2,media=2,worker=2 "
    "(also STELLY_DEV_REPLICAS; 1 each by default). Extra replicas take free ports.",
)
@click.pass_context
def dev(
    ctx: click.Context,
    port: int | None,
    menu_port: int,
    realtime_port: int,
    media_port: int,
    platform_port: int,
    azurite_port: int,
    replicas: str | None,
) -> None:
    """Start the whole local stack; Ctrl-C stops everything it started.

    From another terminal: `stelly dev status` lists its processes and
    `stelly dev restart SERVICE` replaces a service's replicas one at a time.
    """
    if ctx.invoked_subcommand is not None:
        return
    counts = parse_replicas(replicas)
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    gateway_port = port or int(os.environ.get("STELLY_PORT", "8080"))
    first_ports = {
        "menu": menu_port,
        "realtime": realtime_port,
        "media": media_port,
        "platform": platform_port,
    }
    root = _repo_root()
    state_dir = settings.state_dir.resolve()
    run_dir = state_dir / "run"
    frontdoor_id = settings.frontdoor_id or f"local-{secrets.token_hex(8)}"
    postgres = valkey = None
    supervisor: Supervisor | None = None
    control: ControlServer | None = None
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
            valkey = EmbeddedValkey(state_dir / "valkey", cluster=settings.redis_cluster)
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
            "STELLY_PLATFORM_URL": f"http://127.0.0.1:{platform_port}",
            "STELLY_UPSTREAMS_FILE": str(run_dir / "upstreams.json"),
            "STELLY_WEB_DIST": str(root / "web" / "dist"),
            "STELLY_REALTIME_PUBLIC_URL": settings.realtime_public_url
            or f"ws://{{host}}:{gateway_port}/ws/v1",
        }
        # Locally every trace is kept, in span files `stelly trace` reads (the shipped
        # default is a ratio of 0.1 capped at 10 traces a second); a value the user set wins.
        env.setdefault("STELLY_TRACE_DIR", str(state_dir / "traces"))
        env.setdefault("STELLY_TRACE_SAMPLE_RATIO", "1")
        env.setdefault("STELLY_TRACES_PER_SECOND", "0")
        supervisor = Supervisor(env, run_dir)
        if not (settings.blob_connection_string or settings.blob_account_url):
            supervisor.add(_azurite_spec(root, state_dir, azurite_port))
            _wait_port(azurite_port)
            supervisor.base_env |= {
                "STELLY_BLOB_CONNECTION_STRING": azurite_connection_string(azurite_port),
                "STELLY_ASSETS_BASE_URL": settings.assets_base_url
                or f"http://127.0.0.1:{azurite_port}/devstoreaccount1/stelly-assets",
            }
        started = []
        for name, spec in _service_specs().items():
            for index in range(counts[name]):
                wanted = first_ports.get(name) if index == 0 else None
                started.append(supervisor.add(spec, wanted))
        gateway = ServiceSpec(
            "gateway",
            lambda _port: [sys.executable, "-m", "stelly_gateway"],  # its port: STELLY_PORT
            health_path="/healthz",
        )
        started.append(supervisor.add(gateway, gateway_port))
        for replica in started:
            supervisor.wait_ready(replica)
        control = ControlServer(supervisor, state_dir)
        base = settings.base_domain
        click.echo("")
        click.secho(f"Stelly is running: http://localhost:{gateway_port}", bold=True)
        for demo in DEMO_TENANTS:
            click.echo(
                f"  http://{demo.slug}.{base}:{gateway_port}/api/v1/store/menu"
                f"   owner {demo.owner_email} / {DEMO_PASSWORD}"
            )
        click.echo(
            f"  http://console.{base}:{gateway_port}/   console admin {DEV_ADMIN_EMAIL} /"
            f" {DEMO_PASSWORD} (more: `stelly platform-admin create EMAIL`)"
        )
        shown = ", ".join(f"{name}={count}" for name, count in counts.items())
        click.echo(f"Replicas: {shown}. `stelly dev status` lists them. Press Ctrl-C to stop.")
        while not stop_requested:
            supervisor.tick()
            time.sleep(0.25)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        click.echo("stopping...")
        if control is not None:
            control.close()
        if supervisor is not None:
            supervisor.stop_all()
        with contextlib.suppress(FileNotFoundError):
            (state_dir / "run" / "stack.json").unlink()
        if valkey is not None:
            valkey.stop()
        if postgres is not None:
            postgres.stop()
        click.echo("stopped.")


def _state_dir() -> Path:
    try:
        return load_settings().state_dir.resolve()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@dev.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: a list of processes.")
def dev_status(as_json: bool) -> None:
    """List every process of the running stack: service, replica, pid, port, state."""
    try:
        answer = next(iter(request(_state_dir(), {"op": "status"})), {})
    except NoStack as exc:
        raise click.ClickException(str(exc)) from None
    processes = answer.get("processes", [])
    if as_json:
        click.echo(json.dumps(processes, indent=2))
        return
    click.echo(f"{'SERVICE':<10} {'REPLICA':>7} {'PID':>8} {'PORT':>6}  STATE      RESTARTS")
    for p in processes:
        click.echo(
            f"{p['service']:<10} {p['replica']:>7} {p['pid'] or '-':>8} {p['port'] or '-':>6}"
            f"  {p['state']:<10} {p.get('restarts', 0)}"
        )


@dev.command("restart")
@click.argument("service", type=click.Choice(SERVICES))
def dev_restart(service: str) -> None:
    """Rolling restart of SERVICE: a new replica is ready before an old one drains."""
    try:
        for line in request(_state_dir(), {"op": "restart", "service": service}):
            if "message" in line:
                click.echo(line["message"])
            elif line.get("ok"):
                click.echo(f"{service}: rolling restart done")
                return
            else:
                raise click.ClickException(line.get("error", "restart failed"))
    except NoStack as exc:
        raise click.ClickException(str(exc)) from None
    raise click.ClickException("the stack stopped answering during the restart")
