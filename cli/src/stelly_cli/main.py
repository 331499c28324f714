"""The ``stelly`` command."""

from __future__ import annotations

import click

from stelly_cli.dev import dev
from stelly_cli.migrate import migrate
from stelly_cli.platform_admin import platform_admin
from stelly_cli.seed import seed_demo
from stelly_cli.tenant import tenant
from stelly_cli.trace import trace

__all__ = ["cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Stelly: multi-tenant storefront and ordering platform."""


cli.add_command(dev)
cli.add_command(migrate)
cli.add_command(platform_admin)
cli.add_command(tenant)
cli.add_command(seed_demo)
cli.add_command(trace)
