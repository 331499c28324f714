"""The verdict: which invariants a run broke, from its per-phase figures and its end state.

Invariants checked (each broken one is a sentence in the report's
``violations``, and makes the run exit non-zero):

- rolling restarts and single-replica kills: 0 failed customer requests
  (after the web app's own retries), p99 <= 3x the steady-state p99 (but
  never less than steady + 50 ms: under the short run's light load the
  steady p99 is ~10 ms, and a ratio of two such figures, each the second
  worst of ~150 requests, measures the scheduler, not the stack);
- realtime restart: every crowd socket closed during it resumes within 10 s
  with ``recovered: true``; no 100 ms window holds more than 20 % of the
  reconnects;
- Redis and PostgreSQL faults: no 5xx other than 503 with ``Retry-After``
  (any request, customer or staff), normal service within 5 s of the fault's
  end;
- at the end: every accepted order stored exactly once, every kitchen knows
  every order, every accepted upload ``ready``, ``public.event_outbox`` empty;
- every phase actually ran (a fault that could not be applied is a failure).

Pure functions of plain data: nothing here runs or measures anything.
"""

from __future__ import annotations

from typing import Any

__all__ = ["P99_FLOOR_MS", "p99_limit", "violations"]

#: the least headroom the p99 invariant allows over the steady p99
P99_FLOOR_MS = 50.0


def p99_limit(steady_p99: float) -> float:
    """The highest p99 a restart or kill phase may show: 3x steady, at least steady + 50 ms."""
    return max(3 * steady_p99, steady_p99 + P99_FLOOR_MS)


def violations(figures: list[dict[str, Any]], end: dict[str, Any]) -> list[str]:
    """Every broken invariant, one sentence each; empty when the run kept them all."""
    broken: list[str] = []
    steady = next((f for f in figures if f["kind"] == "steady"), None)
    steady_p99 = steady["p99_ms"] if steady else None
    for f in figures:
        name = f["name"]
        if f["error"]:
            broken.append(f"{name}: the fault failed: {f['error']}")
        if f["kind"] in {"restart", "kill"}:
            if f["customer_failed"]:
                broken.append(
                    f"{name}: {f['customer_failed']} failed customer requests {f['customer_failed_by_kind']}"
                )
            limit = p99_limit(steady_p99) if steady_p99 else None
            if limit is not None and f["p99_ms"] and f["p99_ms"] > limit:
                broken.append(
                    f"{name}: p99 {f['p99_ms']:.0f} ms > {limit:.0f} ms"
                    f" (3x steady {steady_p99:.0f} ms, at least steady + {P99_FLOOR_MS:.0f} ms)"
                )
        if name == "rolling restart realtime":
            crowd = f["crowd"]
            if crowd["closed"] == 0:
                broken.append(f"{name}: no crowd socket was closed (did the restart happen?)")
            if crowd["never_resumed"] or crowd["recovered_false"]:
                broken.append(
                    f"{name}: crowd: {crowd['never_resumed']} never resumed, {crowd['recovered_false']} resumed with recovered: false"
                )
            if crowd["max_resume_s"] is not None and crowd["max_resume_s"] > 10:
                broken.append(
                    f"{name}: a crowd socket took {crowd['max_resume_s']} s > 10 s to resume"
                )
            if f["reconnect_peak_share_100ms"] > 0.2:
                broken.append(
                    f"{name}: {f['reconnect_peak_share_100ms']:.0%} of reconnects in one 100 ms window (> 20 %)"
                )
        if f["kind"] in {"redis", "postgres"}:
            bad = {
                k: v
                for k, v in f["failed_attempts_by_kind"].items()
                if k.startswith(("5xx", "503-no"))
            }
            if bad:
                broken.append(f"{name}: 5xx other than 503 with Retry-After: {bad}")
            recover = f["recover_s"]
            if recover is None:
                broken.append(f"{name}: service not normal again by the end of the phase")
            elif recover > 5:
                broken.append(f"{name}: normal service {recover} s after the fault (> 5 s)")
    if end["orders_lost"]:
        broken.append(f"{len(end['orders_lost'])} accepted orders not in the database")
    if end["orders_doubled_keys"]:
        broken.append(f"{len(end['orders_doubled_keys'])} Idempotency-Keys stored more than once")
    for k in end["kitchens"]:
        if k["missed_count"]:
            broken.append(f"kitchen {k['kitchen']} never learned of {k['missed_count']} orders")
    if end["uploads_not_ready"]:
        broken.append(f"{len(end['uploads_not_ready'])} accepted uploads not ready")
    if end["outbox_rows"] != 0:
        broken.append(f"{end['outbox_rows']} rows left in public.event_outbox")
    return broken
