"""``infra/scale.json`` as plain data, and the KEDA replica formula.

The same file is loaded by ``infra/`` (``loadJsonContent``) for the Container
Apps scale rules; this module is how the load tests read it. Standard library
only, so that tests can import it without the load-test dependencies.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "SLO",
    "ScaleRule",
    "ServiceScale",
    "default_scale_path",
    "desired_replicas",
    "load_scale_rules",
    "replay",
]


@dataclass(frozen=True, slots=True)
class SLO:
    """What one replica must hold at its rule's target."""

    p50_ms: float
    p99_ms: float
    max_error_rate: float


@dataclass(frozen=True, slots=True)
class ScaleRule:
    """One Container Apps scale rule: its type and its per-replica target."""

    type: str
    target: float
    queue: str | None = None

    @property
    def metric(self) -> str:
        return {
            "http": "concurrent requests",
            "cpu": "CPU %",
            "azure-servicebus": "queued messages",
        }[self.type]


@dataclass(frozen=True, slots=True)
class ServiceScale:
    """A service's entry of the scale file."""

    name: str
    rule: ScaleRule
    replicas: dict[str, tuple[int, int]]
    slo: SLO
    load_target: float

    def bounds(self, environment: str = "prod") -> tuple[int, int]:
        return self.replicas[environment]


_TARGET_KEYS = {
    "http": "concurrent_requests",
    "cpu": "utilization_percent",
    "azure-servicebus": "message_count",
}


def default_scale_path() -> Path:
    """``infra/scale.json`` of this checkout."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "infra" / "scale.json"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("infra/scale.json not found above " + str(here))


def _service(name: str, entry: dict[str, Any]) -> ServiceScale:
    rule_data = entry["rule"]
    kind = rule_data["type"]
    if kind not in _TARGET_KEYS:
        raise ValueError(f"{name}: unknown scale rule type {kind!r}")
    target = float(rule_data[_TARGET_KEYS[kind]])
    if target <= 0:
        raise ValueError(f"{name}: the rule's target must be positive")
    replicas = {}
    for env, bounds in entry["replicas"].items():
        low, high = int(bounds["min"]), int(bounds["max"])
        if not 0 <= low <= high or high < 1:
            raise ValueError(f"{name}: replicas for {env} must satisfy 0 <= min <= max, max >= 1")
        replicas[env] = (low, high)
    slo = SLO(
        float(entry["slo"]["p50_ms"]),
        float(entry["slo"]["p99_ms"]),
        float(entry["slo"]["max_error_rate"]),
    )
    # What one replica is driven with: the rule's own target, except for a
    # CPU rule, whose load is named separately (open sockets).
    load = entry.get("load_target", {}).get("connections", target)
    return ServiceScale(
        name, ScaleRule(kind, target, rule_data.get("queue")), replicas, slo, float(load)
    )


def load_scale_rules(path: Path | None = None) -> dict[str, ServiceScale]:
    """Read the scale file.

    Args:
        path: the JSON file; :func:`default_scale_path` when omitted.

    Returns:
        Service name -> its rule, replica bounds per environment and SLO.
    """
    data = json.loads((path or default_scale_path()).read_text())
    return {name: _service(name, entry) for name, entry in data["services"].items()}


def desired_replicas(metric: float, target: float, low: int, high: int) -> int:
    """KEDA's (and the HPA's) formula: ``ceil(metric / target)`` within ``[low, high]``.

    ``metric`` is the total over all replicas (e.g. concurrent requests, queue
    length, or CPU % summed over replicas); zero asks for ``low`` replicas,
    which may be zero.
    """
    wanted = math.ceil(metric / target) if metric > 0 else 0
    return max(low, min(high, wanted))


def replay(
    loads: list[float],
    target: float,
    low: int,
    high: int,
    *,
    window_seconds: int = 15,
    cooldown_seconds: int = 300,
) -> list[int]:
    """Replicas per window for a load sampled once per window.

    Scale-out follows the formula at once; scale-in waits until the lower
    figure has held for ``cooldown_seconds`` (the HPA's stabilisation window,
    KEDA's cooldown to zero), which is why replicas lag a falling load.
    """
    hold = max(1, cooldown_seconds // window_seconds)
    history: list[int] = []
    replicas: list[int] = []
    for load in loads:
        history.append(desired_replicas(load, target, low, high))
        current = replicas[-1] if replicas else low
        wanted = history[-1]
        # Scale in only to the highest figure wanted within the cooldown.
        replicas.append(wanted if wanted >= current else max(history[-hold:]))
    return replicas
