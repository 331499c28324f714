"""Where the machine's CPU went during each phase: the evidence behind a latency figure.

A thread samples ``/proc/stat`` (the whole machine) and ``/proc/<pid>/stat``
of every process of the run every half second, grouping processes by what
they are (gateway, menu, realtime, media, worker, postgres, valkey, azurite,
and this run's own load generators). A phase's figures are differences
between samples inside it, so a process that died mid-phase (a kill) only
loses its last half second. Invariant: sampling reads files only; it starts
no process and costs well under 1 % of a core.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CpuSampler"]

_TICK = os.sysconf("SC_CLK_TCK")
_GROUPS = (
    ("stelly_media.worker", "worker"),
    ("stelly_gateway", "gateway"),
    ("stelly_menu", "menu"),
    ("stelly_realtime", "realtime"),
    ("stelly_media", "media"),
    ("valkey", "valkey"),
    ("postgres", "postgres"),
    ("azurite", "azurite"),
    ("stelly_cli", "supervisor"),
    ("multiprocessing", "load"),
    ("chaos", "load"),
)


def _group(cmdline: bytes) -> str | None:
    text = cmdline.replace(b"\0", b" ").decode(errors="replace")
    for needle, group in _GROUPS:
        if needle in text:
            return group
    return None


def _machine() -> tuple[int, int]:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def _processes() -> dict[int, tuple[str, int]]:
    found: dict[int, tuple[str, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            group = _group(Path(entry.path, "cmdline").read_bytes())
            if group is None:
                continue
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        after = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (group, int(after[11]) + int(after[12]))  # utime + stime
    return found


@dataclass
class _Sample:
    t: float
    busy: int
    total: int
    procs: dict[int, tuple[str, int]] = field(default_factory=dict)


class CpuSampler:
    """Samples in a background thread from :meth:`start` until :meth:`stop`."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.samples: list[_Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            busy, total = _machine()
            self.samples.append(_Sample(time.monotonic(), busy, total, _processes()))
            self._stop.wait(self.interval)

    def figures(self, start: float, end: float) -> dict[str, Any]:
        """CPU between two monotonic times: machine busy share and CPU seconds per group.

        Returns:
            ``busy_share`` (0..1 of all cores), ``busy_peak_1s`` (the busiest
            second), ``cores`` and ``cpu_s`` per group, largest first.
        """
        inside = [s for s in self.samples if start <= s.t <= end]
        if len(inside) < 2:
            return {"busy_share": None, "busy_peak_1s": None, "cores": os.cpu_count(), "cpu_s": {}}
        first, last = inside[0], inside[-1]
        share = (last.busy - first.busy) / max(1, last.total - first.total)
        per_second = max(1, round(1.0 / self.interval))
        peak = 0.0
        for a, b in zip(inside, inside[per_second:], strict=False):
            peak = max(peak, (b.busy - a.busy) / max(1, b.total - a.total))
        groups: dict[str, float] = {}
        for a, b in itertools.pairwise(inside):
            for pid, (group, ticks) in b.procs.items():
                before = a.procs.get(pid)
                if before is not None and ticks >= before[1]:
                    groups[group] = groups.get(group, 0.0) + (ticks - before[1]) / _TICK
        ranked = dict(sorted(((g, round(s, 2)) for g, s in groups.items()), key=lambda kv: -kv[1]))
        return {
            "busy_share": round(share, 3),
            "busy_peak_1s": round(peak, 3),
            "cores": os.cpu_count(),
            "cpu_s": ranked,
        }
