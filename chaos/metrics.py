"""What the load saw, sample by sample, and the per-phase figures made from it.

Every sample carries a monotonic timestamp (seconds since the run's start) so a
phase's figures are a slice of one timeline. Invariants:

- a request *attempt* is one HTTP exchange; its outcome is ``ok`` or exactly
  one failure kind (``connection``, ``5xx:<status>``, ``503+retry-after``,
  ``503-no-retry-after``, ``4xx:<status>``);
- a customer *request* is what the customer sees after the web app's own
  retries (only the order POST retries, as ``Checkout.tsx`` does): the
  invariant "0 failed customer requests" counts these;
- latency percentiles are over successful customer attempts (one exchange
  each; the web app's back-off between retries is not server latency).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Attempt",
    "Phase",
    "Recorder",
    "SocketEvent",
    "classify",
    "largest_window_share",
    "percentile",
    "phase_figures",
]

CUSTOMER_KINDS = frozenset({"store", "menu", "order"})


def classify(status: int | None, retry_after: bool, *, expected: frozenset[int]) -> str:
    """The outcome of one exchange: ``ok`` or its failure kind."""
    if status is None:
        return "connection"
    if status in expected:
        return "ok"
    if status == 503:
        return "503+retry-after" if retry_after else "503-no-retry-after"
    if status >= 500:
        return f"5xx:{status}"
    return f"4xx:{status}" if status >= 400 else f"unexpected:{status}"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP exchange through the gateway."""

    t: float
    kind: str  # store | menu | order | upload | image | admin_orders | login
    ms: float
    outcome: str


@dataclass(frozen=True, slots=True)
class SocketEvent:
    """A WebSocket moment: ``close`` (with its code), ``connect`` (an attempt), ``resume``."""

    t: float
    role: str  # crowd | kitchen
    socket: int
    what: str
    code: int | None = None
    recovered: bool | None = None


@dataclass
class Phase:
    """One phase of the run: load before, the fault, load after."""

    name: str
    kind: str  # steady | restart | kill | redis | postgres
    start: float = 0.0
    fault_start: float = 0.0
    fault_end: float = 0.0
    end: float = 0.0
    note: str = ""
    error: str | None = None


@dataclass
class Recorder:
    """The timeline every load loop writes into (single event loop: no locks)."""

    started: float = field(default_factory=time.monotonic)
    attempts: list[Attempt] = field(default_factory=list)
    customer_failures: list[tuple[float, str, str]] = field(default_factory=list)
    order_retries: list[float] = field(default_factory=list)
    sockets: list[SocketEvent] = field(default_factory=list)
    # order id -> (time its 201 arrived, Idempotency-Key); order id -> kitchen -> first seen
    orders: dict[int, tuple[float, str]] = field(default_factory=dict)
    orders_by_key: dict[str, int] = field(default_factory=dict)
    seen: dict[int, dict[int, float]] = field(default_factory=dict)

    def rebase(self) -> float:
        """Make now the timeline's zero; what came before gets negative times (warm-up).

        Returns:
            The shift, in seconds, for times kept elsewhere.
        """
        shift = time.monotonic() - self.started
        self.started += shift
        self.attempts = [Attempt(a.t - shift, a.kind, a.ms, a.outcome) for a in self.attempts]
        self.customer_failures = [(t - shift, k, o) for t, k, o in self.customer_failures]
        self.order_retries = [t - shift for t in self.order_retries]
        self.sockets = [
            SocketEvent(e.t - shift, e.role, e.socket, e.what, e.code, e.recovered)
            for e in self.sockets
        ]
        self.orders = {i: (t - shift, key) for i, (t, key) in self.orders.items()}
        self.seen = {i: {k: t - shift for k, t in by.items()} for i, by in self.seen.items()}
        return shift

    def now(self) -> float:
        return time.monotonic() - self.started

    def attempt(self, kind: str, started: float, outcome: str) -> None:
        self.attempts.append(Attempt(started, kind, (self.now() - started) * 1000, outcome))

    def customer_failed(self, started: float, kind: str, outcome: str) -> None:
        self.customer_failures.append((started, kind, outcome))

    def socket(
        self,
        role: str,
        socket: int,
        what: str,
        *,
        code: int | None = None,
        recovered: bool | None = None,
    ) -> None:
        self.sockets.append(SocketEvent(self.now(), role, socket, what, code, recovered))

    def order_seen(self, kitchen: int, order_id: int) -> None:
        self.seen.setdefault(order_id, {}).setdefault(kitchen, self.now())


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def largest_window_share(times: list[float], window: float = 0.1) -> float:
    """The largest share of ``times`` inside any window of ``window`` seconds (0 for none)."""
    if not times:
        return 0.0
    ordered = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best / len(ordered)


def _normal_threshold_ms(steady_p99: float) -> float:
    # a second is "normal" when nothing failed and its p99 stays near steady
    # state; the floor keeps a 2-core machine's scheduling noise out of it
    return max(3 * steady_p99, 250.0) if not math.isnan(steady_p99) else 250.0


def recovery_seconds(
    rec: Recorder, phase: Phase, steady_p99: float, *, bucket: float = 1.0
) -> float | None:
    """Seconds from the fault's end to the end of the last abnormal second of the phase.

    0 when every second after the fault was normal; ``None`` when the phase
    ended still abnormal (its last second had failures or slow answers).
    """
    limit = _normal_threshold_ms(steady_p99)
    start = phase.fault_end
    count = max(1, math.ceil((phase.end - start) / bucket))
    failed = [False] * count
    latencies: list[list[float]] = [[] for _ in range(count)]
    for t, _, _ in rec.customer_failures:
        if start <= t < phase.end:
            failed[min(count - 1, int((t - start) / bucket))] = True
    for a in rec.attempts:
        if a.kind in CUSTOMER_KINDS and start <= a.t < phase.end:
            i = min(count - 1, int((a.t - start) / bucket))
            if a.outcome == "ok":
                latencies[i].append(a.ms)
            elif a.outcome != "ok":
                failed[i] = True
    abnormal = [
        failed[i] or (bool(latencies[i]) and percentile(latencies[i], 0.99) > limit)
        for i in range(count)
    ]
    if not any(abnormal):
        return 0.0
    last = max(i for i, bad in enumerate(abnormal) if bad)
    if last == count - 1:
        return None
    return round((last + 1) * bucket, 2)


def _resume_times(rec: Recorder, phase: Phase, role: str) -> dict[str, Any]:
    """For each close of a ``role`` socket in the phase: seconds until it resumed."""
    pending: dict[int, float] = {}
    durations: list[float] = []
    recovered: list[bool] = []
    first_close: float | None = None
    last_resume: float | None = None
    for ev in rec.sockets:
        if ev.role != role:
            continue
        if ev.what == "close" and phase.start <= ev.t < phase.end:
            pending.setdefault(ev.socket, ev.t)
            first_close = ev.t if first_close is None else first_close
        elif ev.what == "resume" and ev.socket in pending:
            durations.append(ev.t - pending.pop(ev.socket))
            recovered.append(bool(ev.recovered))
            last_resume = ev.t
    return {
        "closed": len(durations) + len(pending),
        "resumed": len(durations),
        "never_resumed": len(pending),
        "recovered_true": sum(recovered),
        "recovered_false": len(recovered) - sum(recovered),
        "max_resume_s": round(max(durations), 2) if durations else None,
        "all_resumed_s": (
            round(last_resume - first_close, 2)
            if first_close is not None and last_resume is not None and not pending
            else None
        ),
    }


def phase_figures(rec: Recorder, phase: Phase, steady_p99: float) -> dict[str, Any]:
    """The figures of one phase (see the module docstring for what counts)."""
    inside = [a for a in rec.attempts if phase.start <= a.t < phase.end]
    customer = [a for a in inside if a.kind in CUSTOMER_KINDS]
    ok_ms = [a.ms for a in customer if a.outcome == "ok"]
    failed_attempts = Counter(a.outcome for a in inside if a.outcome != "ok")
    failed_customer_attempts = Counter(a.outcome for a in customer if a.outcome != "ok")
    failed_customer = Counter(
        f"{kind} {outcome}"
        for t, kind, outcome in rec.customer_failures
        if phase.start <= t < phase.end
    )
    staff_failed = Counter(
        f"{a.kind} {a.outcome}"
        for a in inside
        if a.kind not in CUSTOMER_KINDS and a.outcome != "ok"
    )
    reconnects = [
        ev.t for ev in rec.sockets if ev.what == "connect" and phase.start <= ev.t < phase.end
    ]
    lags = [
        max(seen.values()) - rec.orders[order_id][0]
        for order_id, seen in rec.seen.items()
        if order_id in rec.orders and phase.start <= rec.orders[order_id][0] < phase.end
    ]
    retries = sum(1 for t in rec.order_retries if phase.start <= t < phase.end)
    p50, p99 = percentile(ok_ms, 0.5), percentile(ok_ms, 0.99)
    return {
        "name": phase.name,
        "kind": phase.kind,
        "note": phase.note,
        "error": phase.error,
        "window_s": [round(phase.start, 2), round(phase.end, 2)],
        "fault_s": [round(phase.fault_start, 2), round(phase.fault_end, 2)],
        "customer_requests": len(customer) - retries,
        "customer_failed": sum(failed_customer.values()),
        "customer_failed_by_kind": dict(failed_customer),
        "attempts": len(inside),
        "failed_attempts_by_kind": dict(failed_attempts),
        "failed_customer_attempts_by_kind": dict(failed_customer_attempts),
        "staff_failed_by_kind": dict(staff_failed),
        "order_retries": retries,
        "p50_ms": None if math.isnan(p50) else round(p50, 1),
        "p99_ms": None if math.isnan(p99) else round(p99, 1),
        "recover_s": recovery_seconds(rec, phase, steady_p99) if phase.kind != "steady" else 0.0,
        "reconnects": len(reconnects),
        "reconnect_peak_share_100ms": round(largest_window_share(reconnects), 3),
        "crowd": _resume_times(rec, phase, "crowd"),
        "kitchen": _resume_times(rec, phase, "kitchen"),
        "kitchen_max_lag_s": round(max(lags), 2) if lags else None,
    }
