"""checkov, pinned, run through ``uv tool run`` (the runner tests/test_infra.py uses too).

Invariants:

- One pin (:data:`CHECKOV`) for ``make infra-check`` and ``make test``.
- checkov's output (one JSON document per framework, written one after
  another) is returned as a list of reports; a run that could not download
  checkov raises :class:`CheckovUnavailable`, any other broken run
  :class:`CheckovBroken`.
- :func:`failures` is what "clean" means: every expected framework reported,
  no failed check, no parsing error, at least one passed check per framework.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

__all__ = [
    "CHECKOV",
    "INFRA_ARGS",
    "CheckovBroken",
    "CheckovUnavailable",
    "failures",
    "run_checkov",
]

CHECKOV = "checkov==3.3.30"
ROOT = Path(__file__).resolve().parents[1]
#: What ``make test`` and ``make infra-check`` scan: infra/ and the workflows.
INFRA_ARGS = ("-d", "infra", "-d", ".github/workflows", "--framework", "bicep", "github_actions")


class CheckovUnavailable(RuntimeError):
    """checkov could not be downloaded (no network to the package index)."""


class CheckovBroken(RuntimeError):
    """checkov ran but produced no report."""


def run_checkov(*args: str, root: Path = ROOT) -> list[dict[str, Any]]:
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [str(root / "scripts" / "uv.sh"), "tool", "run", "--from", CHECKOV, "checkov",
         "--skip-download", "--quiet", "--output", "json", *args],
        cwd=root, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode not in (0, 1) or not result.stdout.strip().startswith(("{", "[")):
        if re.search(
            r"(?i)failed to fetch|error sending request|dns|connect|network", result.stderr
        ):
            raise CheckovUnavailable(
                f"{CHECKOV} could not be downloaded: {result.stderr.strip()[-300:]}"
            )
        raise CheckovBroken(f"checkov did not run: {result.stderr[-2000:]}")
    reports: list[dict[str, Any]] = []
    decoder, text, at = json.JSONDecoder(), result.stdout.strip(), 0
    while at < len(text):
        document, at = decoder.raw_decode(text, at)
        reports += document if isinstance(document, list) else [document]
        while at < len(text) and text[at].isspace():
            at += 1
    return reports


def failures(reports: list[dict[str, Any]], frameworks: set[str]) -> list[str]:
    """Why the reports are not clean (empty when they are)."""
    problems: list[str] = []
    seen = {str(r["check_type"]) for r in reports}
    if seen != frameworks:
        problems.append(f"frameworks reported {sorted(seen)}, expected {sorted(frameworks)}")
    for report in reports:
        if "summary" not in report:  # an empty result for a framework with nothing to scan
            continue
        summary, kind = report["summary"], report["check_type"]
        problems += [
            f"{kind}: {c['check_id']} {c['resource']} ({c['file_path']})"
            for c in report["results"]["failed_checks"]
        ]
        if summary["parsing_errors"]:
            problems.append(f"{kind}: {summary['parsing_errors']} parsing errors")
        if not summary["passed"]:
            problems.append(f"{kind}: no check passed")
    return problems
