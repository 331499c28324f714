"""``make infra-check``: the type check, then checkov, then ``bicep build`` where installed.

Invariants:

- The exit status is 1 when any step found something (or could not run for a
  reason other than a missing tool), 0 otherwise.
- A step that cannot run on this machine (no ``bicep`` on PATH; checkov not
  downloadable) is reported as skipped, with the reason, and is not a failure.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from infra_check.azure_types import DEFAULT_TYPES_DIR, TypeLibrary
from infra_check.check import check_paths
from infra_check.checkov import (
    INFRA_ARGS,
    ROOT,
    CheckovBroken,
    CheckovUnavailable,
    failures,
    run_checkov,
)
from infra_check.unchecked import UNCHECKED
from infra_check.vendored import declared_unchecked, vendor

__all__ = ["bicep_build", "main"]


def bicep_build(files: list[Path]) -> list[str] | None:
    """Errors of ``bicep build`` per file, or None when no bicep CLI is on PATH."""
    bicep = shutil.which("bicep")
    if bicep is None:
        return None
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as out:
        for path in files:
            result = subprocess.run(  # noqa: S603 - the bicep CLI, fixed arguments
                [bicep, "build", str(path), "--outdir", out],
                capture_output=True, text=True, check=False, timeout=120,
            )  # fmt: skip
            if result.returncode != 0:
                errors.append(f"{path}: {result.stderr.strip() or result.stdout.strip()}")
    return errors


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="infra-check", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "infra"])
    parser.add_argument("--types", type=Path, default=DEFAULT_TYPES_DIR)
    parser.add_argument("--no-checkov", action="store_true", help="only the type check")
    parser.add_argument(
        "--vendor",
        action="store_true",
        help="rewrite infra/azure-types from ../shared/azure-types (the versions infra/ declares)",
    )
    options = parser.parse_args(argv)
    if options.vendor:
        copied = vendor()
        print(f"infra/azure-types: {len(copied)} type files")
        return 0
    status = 0

    findings = check_paths(TypeLibrary(options.types), options.paths)
    for finding in findings:
        print(finding)
    files = sorted({f for p in options.paths for f in ([p] if p.is_file() else p.rglob("*.bicep"))})
    print(f"type check: {len(files)} files, {len(findings)} findings")
    for unchecked in declared_unchecked():
        print(f"type check: unchecked {unchecked}: {UNCHECKED[unchecked.lower()]}")
    status |= bool(findings)

    if not options.no_checkov:
        try:
            problems = failures(run_checkov(*INFRA_ARGS), {"bicep", "github_actions"})
        except CheckovUnavailable as error:
            print(f"checkov: skipped: {error}", file=sys.stderr)
        except CheckovBroken as error:
            print(f"checkov: {error}")
            status = 1
        else:
            for problem in problems:
                print(f"checkov: {problem}")
            print(f"checkov: {len(problems)} problems")
            status |= bool(problems)

    built = bicep_build(files)
    if built is None:
        print("bicep build: skipped: no bicep CLI on PATH", file=sys.stderr)
    else:
        for failure in built:
            print(f"bicep build: {failure}")
        print(f"bicep build: {len(files)} files, {len(built)} failed")
        status |= bool(built)
    return status
