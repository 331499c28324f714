"""``stelly dev``: the local stack in one command (what ``make run`` calls).

Starts embedded PostgreSQL and Valkey under ``.stelly/`` unless URLs are
configured, publishes their URLs for other ``stelly`` commands of this
checkout, migrates, seeds the demo tenants, then runs until Ctrl-C and stops
everything it started. Data persists between runs; ``make reset`` wipes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click
from stelly_core.localstack import (
    EmbeddedPostgres,
    EmbeddedValkey,
    StackState,
    write_stack_state,
)
from stelly_core.settings import SettingsError, load_settings
from stelly_tenancy.migrator import migrate as run_migrations

from stelly_cli.migrate import print_report
from stelly_cli.runtime import connections
from stelly_cli.seed import DEMO_PASSWORD, DEMO_TENANTS, seed_demo_tenants

if TYPE_CHECKING:
    from stelly_core.settings import Settings

__all__ = ["dev"]


async def _prepare(settings: Settings) -> None:
    async with connections(settings) as (db, redis):
        print_report(await run_migrations(db))
        for line in await seed_demo_tenants(db, redis):
            click.echo(line)


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


@click.command()
def dev() -> None:
    """Start the local stack (embedded PostgreSQL and Valkey when no URLs are set)."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    state_dir = settings.state_dir.resolve()
    postgres = valkey = None
    db_url, redis_url = settings.database_url, settings.redis_url
    try:
        if db_url is None:
            postgres = EmbeddedPostgres(state_dir / "pg")
            db_url = postgres.start()
            click.echo(f"embedded PostgreSQL: {db_url}")
        if redis_url is None:
            valkey = EmbeddedValkey(state_dir / "valkey")
            redis_url = valkey.start()
            click.echo(f"embedded Valkey: {redis_url}")
        write_stack_state(state_dir, StackState(os.getpid(), db_url, redis_url))
        settings = settings.model_copy(update={"database_url": db_url, "redis_url": redis_url})
        asyncio.run(_prepare(settings))
        click.echo("")
        click.echo(f"Stack ready. Demo tenants (password {DEMO_PASSWORD}):")
        for spec in DEMO_TENANTS:
            click.echo(f"  {spec.slug}.{settings.base_domain}  owner {spec.owner_email}")
        click.echo("Press Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_wait_for_signal())
    finally:
        click.echo("stopping...")
        with contextlib.suppress(FileNotFoundError):
            Path(state_dir / "run" / "stack.json").unlink()
        if valkey is not None:
            valkey.stop()
        if postgres is not None:
            postgres.stop()
