"""Media worker memory (issue 15): peak RSS of a long-running worker, fresh and after a burst.

The figure that matters is the ``make run`` worker's after it has been
working for a while, not a fresh process's: memory that one job leaves behind
(allocator arenas of threads, caches) is there for the next. So this starts
the local stack ``make run`` starts (``stelly dev``, on free ports in a
temporary state directory), uploads through the gateway as the pizza demo
owner, and reads the worker's own kernel counters:

1. a fresh worker, one 39 MP JPEG;
2. a burst of four 12 MP JPEGs (uploaded at once, worked one after another);
3. the same worker, one more 39 MP JPEG.

Before each phase the worker's peak counter is reset (``5`` written to
``/proc/PID/clear_refs``); after it, ``VmHWM`` in ``/proc/PID/status`` is the
phase's peak RSS and ``VmRSS`` what stays. Target: every phase's peak under
150 MB. Missed targets are reported, not failed (a shared machine). Results
also go to ``bench/results/worker.json``.

``python -m bench.worker``; ``--tenants`` is accepted and unused.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

__all__ = ["main", "memory_mb", "reset_peak"]

RSS_TARGET_MB = 150
#: (width, height): 12 MP and 39 MP, as a phone and a full-frame camera take them
SMALL = (4000, 3000)
LARGE = (7200, 5400)
SMALL_BURST = 4
IMAGES = "/api/v1/media/images"
PATIENCE = 180.0


def reset_peak(pid: int) -> None:
    """Reset the process's peak RSS (``VmHWM``) to its current RSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def memory_mb(pid: int) -> dict[str, float]:
    """``VmHWM`` (peak RSS since the last reset) and ``VmRSS`` of a process, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            found[key] = int(value.split()[0]) / 1024  # kB
    return found


def _jpeg(width: int, height: int, path: Path) -> Path:
    import pyvips  # type: ignore[import-untyped]

    # structure at several scales and grain, like a photo (1.3 and 4.1 MB at Q 85,
    # under the upload limit of 10 MB)
    coarse = pyvips.Image.perlin(width, height, cell_size=256, uchar=True)
    fine = pyvips.Image.perlin(width, height, cell_size=48, uchar=True)
    grain = pyvips.Image.gaussnoise(width, height, sigma=8, mean=0)
    grey = (coarse * 0.7 + fine * 0.3 + grain).cast("uchar")
    image = grey.bandjoin([coarse, fine]).copy(interpretation="srgb")
    image.jpegsave(str(path), Q=85)
    return path


def _worker_pid(state_dir: Path) -> int:
    from stelly_cli.control import request

    answer: dict[str, Any] = next(iter(request(state_dir, {"op": "status"})), {})
    pids = [p["pid"] for p in answer.get("processes", []) if p["service"] == "worker" and p["pid"]]
    if len(pids) != 1:
        raise RuntimeError(f"expected one worker process, found {pids}")
    return int(pids[0])


def _phase(
    http: httpx.Client, headers: dict[str, str], pid: int, files: list[Path]
) -> dict[str, float]:
    """Upload ``files`` at once, wait until every one is ready; the worker's memory meanwhile."""
    reset_peak(pid)
    started = time.monotonic()
    ids = []
    for path in files:
        with path.open("rb") as data:
            response = http.post(
                IMAGES, headers=headers, files={"file": (path.name, data, "image/jpeg")}
            )
        response.raise_for_status()
        ids.append(response.json()["id"])
    for image_id in ids:
        deadline = time.monotonic() + PATIENCE
        while True:
            status = http.get(f"{IMAGES}/{image_id}", headers=headers).json()["status"]
            if status == "ready":
                break
            if status == "failed" or time.monotonic() > deadline:
                raise RuntimeError(f"image {image_id} ended {status}")
            time.sleep(0.1)
    figures = memory_mb(pid)
    figures["seconds"] = time.monotonic() - started
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--tenants", type=int, default=0, help="ignored (the runner passes it)")
    parser.add_argument("--env", action="append", default=[], help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args(argv)
    extra_env = dict(item.split("=", 1) for item in args.env)
    from stelly_cli.devstack import running_stack
    from stelly_cli.seed import DEMO_PASSWORD

    with tempfile.TemporaryDirectory(prefix="stelly-bench-worker-") as tmp:
        directory = Path(tmp)
        print("generating inputs ...", flush=True)
        small = [_jpeg(*SMALL, directory / f"small{i}.jpg") for i in range(SMALL_BURST)]
        large = _jpeg(*LARGE, directory / "large.jpg")
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in (small[0], large))
        print(f"inputs: {SMALL_BURST} x {SMALL[0]}x{SMALL[1]}, {LARGE[0]}x{LARGE[1]} ({sizes})")
        with running_stack(directory / "state", env=extra_env) as stack:
            pid = _worker_pid(stack.state_dir)
            host = stack.host("pizza")
            with httpx.Client(base_url=stack.gateway, headers={"host": host}, timeout=60) as http:
                login = http.post(
                    "/api/v1/auth/token",
                    json={"email": "owner@pizza.demo", "password": DEMO_PASSWORD},
                )
                login.raise_for_status()
                headers = {"authorization": f"Bearer {login.json()['access_token']}"}
                idle = memory_mb(pid)
                print(f"worker pid {pid}, idle: RSS {idle['VmRSS']:.0f} MB", flush=True)
                phases = {
                    "fresh worker, 39 MP JPEG": [large],
                    f"burst of {SMALL_BURST} x 12 MP JPEG": small,
                    "after the burst, 39 MP JPEG": [large],
                }
                results = {}
                for label, files in phases.items():
                    results[label] = figures = _phase(http, headers, pid, files)
                    print(
                        f"  {label:<30} peak RSS {figures['VmHWM']:6.1f} MB,"
                        f" RSS after {figures['VmRSS']:6.1f} MB ({figures['seconds']:.1f} s)",
                        flush=True,
                    )
    results_dir = Path(__file__).resolve().parent / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / "worker.json").write_text(json.dumps(results, indent=2) + "\n")
    print("written to bench/results/worker.json")
    missed = [
        f"{label}: {figures['VmHWM']:.0f} MB"
        for label, figures in results.items()
        if figures["VmHWM"] >= RSS_TARGET_MB
    ]
    if missed:
        print(f"TARGET MISSED (peak RSS < {RSS_TARGET_MB} MB): " + "; ".join(missed))
    else:
        print(f"target met: the worker's peak RSS stays under {RSS_TARGET_MB} MB in every phase")
    return 0


if __name__ == "__main__":
    sys.exit(main())
