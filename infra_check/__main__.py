"""``python -m infra_check [PATH...]``: the type check, checkov and (where installed) ``bicep build``.

Invariants: exits 0 only when every step that ran found nothing; a step that
cannot run here (no ``bicep`` CLI) says so on stderr and is not a failure.
"""

from __future__ import annotations

import sys

from infra_check.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
