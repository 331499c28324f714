"""``python -m chaos [--short] [--out DIR] [--seed N]``: faults under load (``make chaos``).

Exit status: 0 when every invariant held, 1 when one broke (the report and
the terminal say which), 2 when the run could not be carried out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chaos.phases import PROFILES, run
from chaos.report import table, write_report
from chaos.setup import ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the short run of make test")
    parser.add_argument("--out", type=Path, default=ROOT / ".stelly" / "chaos")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the temp state (logs)")
    args = parser.parse_args(argv)
    profile = PROFILES["short" if args.short else "full"]
    try:
        result = run(profile, args.seed, keep=args.keep)
    except Exception as exc:
        print(f"chaos run could not be carried out: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    page = write_report(args.out, result)
    print(table(result))
    print(f"report: {page} ({result['seconds']} s)")
    return 1 if result["violations"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
