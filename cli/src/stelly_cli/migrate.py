"""``stelly migrate``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from stelly_tenancy.migrator import migrate as run_migrations

from stelly_cli.runtime import connections, run_async

if TYPE_CHECKING:
    from stelly_core.settings import Settings
    from stelly_tenancy.migrator import MigrationReport

__all__ = ["migrate", "print_report"]


def print_report(report: MigrationReport) -> None:
    """Say what a migration run did, failures last and in red."""
    for name in report.platform_applied:
        click.echo(f"platform: applied {name}")
    for slug, names in sorted(report.applied.items()):
        click.echo(f"{slug}: applied {', '.join(names)}")
    up_to_date = report.tenants_total - len(report.applied) - len(report.failed)
    click.echo(
        f"{report.tenants_total} tenants: {len(report.applied)} migrated, "
        f"{up_to_date} already at head, {len(report.failed)} failed "
        f"({report.seconds:.2f}s)"
    )
    for slug, error in sorted(report.failed.items()):
        click.secho(f"FAILED {slug}: {error}", fg="red", err=True)


@click.command()
@click.option(
    "--concurrency",
    "-j",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Tenants migrated at once.",
)
def migrate(concurrency: int) -> None:
    """Bring the platform schema and every tenant schema to the latest version.

    Idempotent and safe to rerun after a crash or alongside another run;
    exits 1 and names the tenants that failed.
    """

    async def main(settings: Settings) -> int:
        async with connections(settings, pool_size=concurrency + 1) as (db, _):
            bar: Any = None

            def on_start(total: int) -> None:
                nonlocal bar
                if total:
                    bar = click.progressbar(length=total, label="migrating tenants", file=None)
                    bar.__enter__()

            def on_progress(_tenant: object, _error: str | None) -> None:
                if bar is not None:
                    bar.update(1)

            try:
                report = await run_migrations(
                    db, concurrency=concurrency, on_start=on_start, on_progress=on_progress
                )
            finally:
                if bar is not None:
                    bar.__exit__(None, None, None)
        print_report(report)
        return 0 if report.ok else 1

    run_async(main)
