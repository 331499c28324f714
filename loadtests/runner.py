"""Runs locust headless in this process against one service at a time."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent
from locust.env import Environment

if TYPE_CHECKING:
    from locust import User

__all__ = ["Figures", "figures", "percentile", "run_phase"]


@dataclass(frozen=True)
class Figures:
    """What one measured phase produced."""

    requests: int
    failures: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "failures": self.failures,
            "seconds": round(self.seconds, 1),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 1),
            "p99_ms": round(self.p99_ms, 1),
            "error_rate": round(self.error_rate, 5),
        }


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def figures(values: list[float], failures: int, seconds: float) -> Figures:
    """Figures from raw latencies (ms) measured outside locust's statistics."""
    return Figures(
        len(values) + failures, failures, seconds, percentile(values, 0.5), percentile(values, 0.99)
    )


def run_phase(
    user_classes: list[type[User]],
    users: int,
    host: str,
    *,
    seconds: float,
    warmup: float = 3.0,
    spawn_rate: float | None = None,
    names: set[str] | None = None,
) -> tuple[Figures, Environment]:
    """Start ``users`` users, let them settle, measure for ``seconds``, stop them.

    Args:
        user_classes: locust user classes (their ``fixed_count`` is honoured).
        users: total users.
        host: base URL of the one service under load.
        seconds: length of the measured window (bounded; the run always stops).
        warmup: seconds after spawning before statistics are reset.
        spawn_rate: users started per second; all at once when omitted.
        names: request names that make up the figures; all when omitted.

    Returns:
        The figures of the measured window and the locust environment.
    """
    env = Environment(user_classes=user_classes, host=host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=spawn_rate or users)
    spawn_deadline = time.monotonic() + 120
    while runner.user_count < users and time.monotonic() < spawn_deadline:
        gevent.sleep(0.2)
    gevent.sleep(warmup)
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    entries = [
        entry for entry in env.stats.entries.values() if names is None or entry.name in names
    ]
    requests = sum(e.num_requests for e in entries)
    failures = sum(e.num_failures for e in entries)
    if names is None:
        total = env.stats.total
        p50, p99 = total.get_response_time_percentile(0.5), total.get_response_time_percentile(0.99)
    else:
        merged = entries[0] if len(entries) == 1 else None
        if merged is None:
            from locust.stats import StatsEntry

            merged = StatsEntry(env.stats, "selected", "")
            for entry in entries:
                merged.extend(entry)
        p50, p99 = (
            merged.get_response_time_percentile(0.5),
            merged.get_response_time_percentile(0.99),
        )
    runner.quit()
    return Figures(requests + 0, failures, elapsed, float(p50 or 0), float(p99 or 0)), env
