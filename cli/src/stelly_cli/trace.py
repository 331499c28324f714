"""``stelly trace ID``: one trace of the local stack, read from its span files.

``stelly dev`` has every process write its spans under ``STELLY_TRACE_DIR``
(``.stelly/traces`` of the checkout unless set); this command reads them
back, so no tracing backend is needed locally. ID is a trace id (32 hex
digits) or the ``X-Request-Id`` a response carried.

Invariants:
- Reads files only: works while the stack runs and after it stopped.
- An id that matches nothing exits 1 with a message saying where it looked;
  spans still buffered in a process (exported every few seconds) show up on
  a second try.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import msgspec
from stelly_core.settings import SettingsError, load_settings
from stelly_core.telemetry.spanstore import resolve_trace

from stelly_cli.waterfall import render_waterfall

__all__ = ["trace", "trace_directory"]


def trace_directory() -> Path:
    """Where this checkout's stack writes spans: ``STELLY_TRACE_DIR`` or ``{state dir}/traces``."""
    configured = os.environ.get("STELLY_TRACE_DIR", "").strip()
    if configured:
        return Path(configured).resolve()
    try:
        return load_settings().state_dir.resolve() / "traces"
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("trace")
@click.argument("ident", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the spans as a JSON array.")
def trace(ident: str, as_json: bool) -> None:
    """Show the trace ID (a trace id or an X-Request-Id) across the local stack's services."""
    directory = trace_directory()
    found = resolve_trace(directory, ident)
    if found is None:
        click.secho(
            f"no trace with id or request id {ident!r} in {directory} "
            "(spans are written a few seconds after a request; is the stack running "
            "with STELLY_TRACE_DIR, and was the request sampled?)",
            fg="red",
            err=True,
        )
        raise SystemExit(1)
    trace_id, spans = found
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(spans), indent=2))
        return
    for line in render_waterfall(trace_id, spans):
        click.echo(line)
