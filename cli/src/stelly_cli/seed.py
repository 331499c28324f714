"""``stelly seed-demo``: the demo tenants ``pizza`` and ``burger`` (idempotent).

Tenants and owners are created here; services add their own demo data (the
menu, for one) through the ``stelly.demo`` entry-point group: each entry is an
``async def seed(db, tenant)`` that must itself be idempotent.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import TYPE_CHECKING

import click
from stelly_core.auth import PasswordHashing
from stelly_tenancy.provisioning import NewTenant, create_tenant
from stelly_tenancy.registry import fetch_by_slug

from stelly_cli.runtime import connections, run_async

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from stelly_core.db import Database
    from stelly_core.settings import Settings

__all__ = ["DEMO_PASSWORD", "DEMO_TENANTS", "seed_demo", "seed_demo_tenants"]

DEMO_PASSWORD = "stelly-demo"  # noqa: S105 - the documented demo login (SPEC §5)
DEMO_TENANTS = (
    NewTenant(
        slug="pizza",
        name="Pizzeria Stella",
        currency="EUR",
        timezone="Europe/Rome",
        owner_email="owner@pizza.demo",
        owner_password=DEMO_PASSWORD,
    ),
    # Deliberately not t_burger: the schema name is looked up, never derived.
    NewTenant(
        slug="burger",
        name="Burger Barn",
        schema="schema_burgerking",
        currency="USD",
        timezone="America/New_York",
        owner_email="owner@burger.demo",
        owner_password=DEMO_PASSWORD,
    ),
)


async def seed_demo_tenants(db: Database, redis: Redis | None) -> list[str]:
    """Create the demo tenants that are missing and run every demo seeder.

    Returns:
        One line per action, for the caller to print.
    """
    lines = []
    hasher = PasswordHashing()
    seeders = [ep.load() for ep in entry_points(group="stelly.demo")]
    for spec in DEMO_TENANTS:
        tenant = await fetch_by_slug(db.pool, spec.slug)
        if tenant is None:
            tenant = await create_tenant(db, spec, redis=redis, hasher=hasher)
            lines.append(f"created tenant {spec.slug} (owner {spec.owner_email})")
        else:
            lines.append(f"tenant {spec.slug} exists")
        for seeder in seeders:
            await seeder(db, tenant)
    return lines


@click.command("seed-demo")
def seed_demo() -> None:
    """Create the demo tenants pizza and burger with their owners (idempotent)."""

    async def main(settings: Settings) -> int:
        async with connections(settings) as (db, redis):
            for line in await seed_demo_tenants(db, redis):
                click.echo(line)
        return 0

    run_async(main)
