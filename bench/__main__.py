"""``make bench``: every benchmark section, each in its own process.

Each section is a module ``bench.<name>`` with a ``main(argv) -> int`` that
prints its figures as ratios against a baseline measured in the same run
(these machines are shared and noisy). ``--only NAME`` runs one section.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

SECTIONS = ["tenancy", "media", "worker", "gateway", "menu", "realtime"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--tenants", type=int, default=1000, help="tenants for the tenancy bench")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only these")
    args, rest = parser.parse_known_args()
    failed = []
    for section in args.only or SECTIONS:
        print(f"\n=== bench: {section} ===", flush=True)
        argv = [sys.executable, "-m", f"bench.{section}", "--tenants", str(args.tenants), *rest]
        if subprocess.call(argv) != 0:
            failed.append(section)
    if failed:
        print(f"\nbench sections failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
