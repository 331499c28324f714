"""``stelly tenant create|list|suspend|resume``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from stelly_core.auth import PasswordHashing
from stelly_tenancy.models import TenantStatus
from stelly_tenancy.provisioning import (
    NewTenant,
    ProvisioningError,
    create_tenant,
    set_tenant_status,
)
from stelly_tenancy.registry import list_tenants

from stelly_cli.runtime import connections, run_async

if TYPE_CHECKING:
    from stelly_core.settings import Settings

__all__ = ["tenant"]


@click.group()
def tenant() -> None:
    """Provision and administer tenants."""


@tenant.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Display name of the restaurant.")
@click.option("--schema", help="Schema name (default t_<slug>).")
@click.option("--currency", default="EUR", show_default=True)
@click.option("--timezone", default="UTC", show_default=True)
@click.option("--domain", "domains", multiple=True, help="A custom domain (repeatable).")
@click.option("--owner-email")
@click.option(
    "--owner-password",
    help="Prefer the STELLY_OWNER_PASSWORD variable.",
    envvar="STELLY_OWNER_PASSWORD",
)
def create(
    slug: str,
    name: str,
    schema: str | None,
    currency: str,
    timezone: str,
    domains: tuple[str, ...],
    owner_email: str | None,
    owner_password: str | None,
) -> None:
    """Create a tenant with its schema at the latest version, in one step."""
    spec = NewTenant(
        slug=slug,
        name=name,
        schema=schema,
        currency=currency.upper(),
        timezone=timezone,
        domains=domains,
        owner_email=owner_email,
        owner_password=owner_password,
    )

    async def main(settings: Settings) -> int:
        async with connections(settings) as (db, redis):
            try:
                created = await create_tenant(db, spec, redis=redis, hasher=PasswordHashing())
            except ProvisioningError as exc:
                click.secho(f"{exc.code}: {exc}", fg="red", err=True)
                return 1
        click.echo(f"created {created.slug} (schema {created.schema})")
        return 0

    run_async(main)


@tenant.command("list")
def list_command() -> None:
    """List every tenant with its status and domains."""

    async def main(settings: Settings) -> int:
        async with connections(settings) as (db, _):
            rows = await list_tenants(db.pool)
        click.echo(f"{'SLUG':<33} {'STATUS':<10} {'SCHEMA':<34} {'CUR':<4} NAME / DOMAINS")
        for t, domains in rows:
            extra = f" [{', '.join(domains)}]" if domains else ""
            click.echo(
                f"{t.slug:<33} {t.status.value:<10} {t.schema:<34} {t.currency:<4} {t.name}{extra}"
            )
        return 0

    run_async(main)


def _status_command(name: str, status: TenantStatus, doc: str) -> click.Command:
    @click.command(name, help=doc)
    @click.argument("slug")
    def command(slug: str) -> None:
        async def main(settings: Settings) -> int:
            async with connections(settings) as (db, redis):
                try:
                    changed = await set_tenant_status(db, slug, status, redis=redis)
                except ProvisioningError as exc:
                    click.secho(f"{exc.code}: {exc}", fg="red", err=True)
                    return 1
            click.echo(f"{changed.slug} is {changed.status.value}")
            return 0

        run_async(main)

    return command


tenant.add_command(
    _status_command(
        "suspend",
        TenantStatus.SUSPENDED,
        "Suspend a tenant: its hosts answer 403 tenant_suspended.",
    )
)
tenant.add_command(_status_command("resume", TenantStatus.ACTIVE, "Resume a suspended tenant."))
