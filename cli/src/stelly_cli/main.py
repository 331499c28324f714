"""The ``stelly`` command."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, Any

import click
from stelly_core.settings import SettingsError, load_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from stelly_core.settings import Settings

__all__ = ["cli"]


def run_async(factory: Callable[[Settings], Coroutine[Any, Any, int]]) -> None:
    """Load the settings, run one coroutine, exit with its status."""
    try:
        settings = load_settings()
        status = asyncio.run(factory(settings))
    except SettingsError as exc:
        click.secho(str(exc), fg="red", err=True)
        status = 2
    except KeyboardInterrupt:
        status = 130
    sys.exit(status)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Stelly: multi-tenant storefront and ordering platform."""


def _register() -> None:
    from stelly_cli import dev, migrate, seed, tenant

    cli.add_command(dev.dev)
    cli.add_command(migrate.migrate)
    cli.add_command(tenant.tenant)
    cli.add_command(seed.seed_demo)


_register()

if __name__ == "__main__":  # pragma: no cover
    with contextlib.suppress(KeyboardInterrupt):
        cli()
