"""``python -m stelly_cli``: the same as the ``stelly`` command."""

from stelly_cli.main import cli

cli()
