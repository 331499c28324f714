"""Gateway benchmark (issue 6): menu requests through the gateway vs straight to the menu service.

Starts the stack ``make run`` starts (``stelly dev``) on free ports in a
temporary state directory, then drives, from a separate load-generator
process and with the same settings, the cached pizza menu ``GET``:

- directly on the menu service, with the headers the edge would add
  (``X-Azure-FDID``, ``X-Tenant-Host``) — the baseline;
- through the gateway.

Rounds alternate between the two against drift on a shared machine. Prints
requests/s of each, the ratio, and the p50 latency the gateway adds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from stelly_cli.devstack import running_stack

REPO = Path(__file__).resolve().parents[1]
MENU = "/api/v1/store/menu"


def _load(
    url: str, host: str, headers: list[str], seconds: float, concurrency: int
) -> dict[str, float]:
    argv = [
        sys.executable,
        "-m",
        "bench.loadgen",
        url,
        "--host",
        host,
        "-c",
        str(concurrency),
        "-d",
        str(seconds),
    ]
    for header in headers:
        argv += ["--header", header]
    out = subprocess.run(
        argv, cwd=REPO, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=50)
    args, _ = parser.parse_known_args(argv)
    fdid = "bench-edge-id"
    with (
        tempfile.TemporaryDirectory(prefix="stelly-bench-gw-") as tmp,
        running_stack(Path(tmp), env={"STELLY_FRONTDOOR_ID": fdid}) as stack,
    ):
        direct, through = [], []
        for _ in range(args.rounds):
            direct.append(
                _load(
                    f"http://127.0.0.1:{stack.ports['menu']}{MENU}",
                    "app.internal",
                    [f"X-Azure-FDID: {fdid}", "X-Tenant-Host: pizza.localhost"],
                    args.seconds,
                    args.concurrency,
                )
            )
            through.append(
                _load(
                    f"{stack.gateway}{MENU}",
                    stack.host("pizza"),
                    [],
                    args.seconds,
                    args.concurrency,
                )
            )
    for label, runs in (("direct to menu", direct), ("through gateway", through)):
        errors = sum(r["errors"] for r in runs)
        print(
            f"{label:>16}: {statistics.median(r['rps'] for r in runs):8.0f} req/s  "
            f"p50 {statistics.median(r['p50_ms'] for r in runs):6.2f} ms  "
            f"p99 {statistics.median(r['p99_ms'] for r in runs):7.2f} ms  errors {errors}"
        )
    ratio = statistics.median(r["rps"] for r in through) / statistics.median(
        r["rps"] for r in direct
    )
    added = statistics.median(r["p50_ms"] for r in through) - statistics.median(
        r["p50_ms"] for r in direct
    )
    print(
        f"gateway/direct throughput ratio: {ratio:.2f}x; p50 added by the gateway: {added:.2f} ms "
        f"({args.concurrency} connections, {args.rounds} alternating rounds of {args.seconds:.0f}s)"
    )
    return 0 if all(r["errors"] == 0 for r in direct + through) else 1


if __name__ == "__main__":
    sys.exit(main())
