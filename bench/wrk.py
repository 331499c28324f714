"""``wrk``, the HTTP load generator of the benches, installed by the bench itself.

Invariants:

- Nothing is installed by hand: :func:`ensure_wrk` runs ``apt-get install -y
  wrk`` (Debian's package) when ``wrk`` is not on ``PATH``, printing what it
  runs; when that fails it says so and returns ``None``, and the caller falls
  back to the Python load generator *with a printed warning*, never silently.
- :func:`run_wrk` pins wrk to one core (``taskset -c CORE``) with one thread,
  so that the server under test keeps the other core to itself; a Python
  load generator saturates before a fast server does and hides the ratio.
- Figures come from wrk's own summary (``Requests/sec``, ``--latency``
  percentiles); a run with socket errors or non-2xx/3xx answers is reported
  as such, not averaged in.

``python -m bench.wrk`` installs wrk if needed and prints its version.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import Any

__all__ = ["ensure_wrk", "parse_wrk", "run_wrk", "taskset"]

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_PERCENTILE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def taskset(core: int) -> list[str]:
    """``taskset -c CORE`` when the machine has that core and the tool, else nothing."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) <= core:
        return []
    return ["taskset", "-c", str(core)]


def ensure_wrk() -> str | None:
    """The path of ``wrk``, installing Debian's package first when it is missing.

    Returns:
        The executable's path, or ``None`` when it is not installed and could
        not be (the reason is printed).
    """
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        print("wrk: not installed and there is no apt-get here", flush=True)
        return None
    if os.geteuid() != 0:
        print("wrk: not installed, and installing it needs root (apt-get install wrk)", flush=True)
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-q", "wrk"]
    # a second install after refreshing the package lists, which may be stale
    for argv in (install, [apt, "update", "-q"], install):
        print(f"wrk: not installed; running {' '.join(argv)}", flush=True)
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"wrk: {' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-400:]}")
        if shutil.which("wrk"):
            break
    found = shutil.which("wrk")
    if found:
        print(f"wrk: installed {found}", flush=True)
    return found


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests per second, p50/p99 latency (ms) and error counts from wrk's summary."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    requests = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if rps is None or requests is None:
        raise RuntimeError(f"no summary in wrk's output:\n{output}")
    percentiles = {
        int(p): float(value) * _UNITS[unit] for p, value, unit in _PERCENTILE.findall(output)
    }
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(rps.group(1)),
        "requests": int(requests.group(1)),
        "p50_ms": percentiles.get(50, 0.0),
        "p99_ms": percentiles.get(99, 0.0),
        "socket_errors": sum(int(n) for n in socket.groups()) if socket else 0,
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def run_wrk(
    wrk: str,
    url: str,
    *,
    headers: dict[str, str],
    connections: int = 50,
    seconds: float = 10.0,
    core: int = 1,
    script: str | None = None,
) -> dict[str, Any]:
    """One wrk run (one thread, pinned to ``core``, ``script`` a Lua file); its parsed summary."""
    argv = [
        *taskset(core),
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",  # whole seconds only
        "--latency",
        *(f"-H{name}: {value}" for name, value in headers.items()),
        *(["-s", script] if script else []),
        url,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"wrk exited with {done.returncode}: {done.stderr.strip()} {done.stdout.strip()}"
        )
    return parse_wrk(done.stdout)


def main() -> int:
    wrk = ensure_wrk()
    if wrk is None:
        return 1
    version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    print((version.stdout or version.stderr).strip().splitlines()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
