"""``stelly platform-admin create EMAIL``: an operator of the platform console (SPEC §10).

The password is prompted for (twice, hidden) unless ``--password`` or
``STELLY_PLATFORM_ADMIN_PASSWORD`` gives it. ``stelly dev`` seeds one admin
for the local stack (:data:`DEV_ADMIN_EMAIL`, the demo password).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from stelly_core.auth import PasswordHashing
from stelly_tenancy.platform_admins import PlatformAdminError, create_platform_admin

from stelly_cli.runtime import connections, run_async

if TYPE_CHECKING:
    from stelly_core.db import Database
    from stelly_core.settings import Settings

__all__ = ["DEV_ADMIN_EMAIL", "platform_admin", "seed_dev_admin"]

#: the local stack's console admin (password: the demo password), never in production
DEV_ADMIN_EMAIL = "admin@stelly.localhost"


@click.group("platform-admin")
def platform_admin() -> None:
    """Administrators of the platform console (console.<base domain>)."""


@platform_admin.command("create")
@click.argument("email")
@click.option(
    "--password",
    envvar="STELLY_PLATFORM_ADMIN_PASSWORD",
    help="Prompted for when omitted (prefer the STELLY_PLATFORM_ADMIN_PASSWORD variable).",
)
def create(email: str, password: str | None) -> None:
    """Create a platform admin who can sign in to the console."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    assert password is not None

    async def main(settings: Settings) -> int:
        async with connections(settings) as (db, _):
            try:
                admin, _created = await create_platform_admin(
                    db, email, password, PasswordHashing()
                )
            except PlatformAdminError as exc:
                click.secho(f"{exc.code}: {exc}", fg="red", err=True)
                return 1
        click.echo(f"created platform admin {admin.email}")
        return 0

    run_async(main)


async def seed_dev_admin(db: Database, password: str) -> str:
    """Create the local stack's console admin unless it exists (idempotent).

    Returns:
        One line for the caller to print.
    """
    admin, created = await create_platform_admin(
        db, DEV_ADMIN_EMAIL, password, PasswordHashing(), exist_ok=True
    )
    return f"{'created' if created else 'found'} console admin {admin.email}"
