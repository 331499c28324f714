"""The run: setup, the phases one after another under load, the end state, the verdict.

Invariants checked (a broken one makes the run exit non-zero and is named
in the report):

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
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg

from chaos import faults
from chaos.cpu import CpuSampler
from chaos.load import Crowd, Load, LoadShape
from chaos.metrics import Phase, Recorder, phase_figures
from chaos.setup import chaos_stack, outbox_rows, prepare_tenant

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from chaos.setup import ChaosStack

__all__ = ["P99_FLOOR_MS", "PROFILES", "Profile", "p99_limit", "run"]

#: the least headroom the p99 invariant allows over the steady p99
P99_FLOOR_MS = 50.0


def p99_limit(steady_p99: float) -> float:
    """The highest p99 a restart or kill phase may show: 3x steady, at least steady + 50 ms."""
    return max(3 * steady_p99, steady_p99 + P99_FLOOR_MS)


RESTART_SERVICES = ("menu", "realtime", "media", "worker")


@dataclass(frozen=True)
class Profile:
    """How long and how heavy: ``full`` (make chaos) or ``short`` (make test)."""

    name: str
    shape: LoadShape
    replicas: str
    restarts: tuple[str, ...]  # the services that get a rolling restart, in order
    drain_seconds: float
    close_window: float
    warmup_s: float  # load before the first phase, not measured
    steady_s: float
    before_s: float  # load before each fault
    after_s: float  # load after a restart or a kill
    after_data_s: float  # load after a Redis/PostgreSQL fault (must show recovery <= 5 s)
    pause_s: float
    redis_down_s: float
    postgres_down_s: float
    settle_s: float


REPLICAS = "menu=2,realtime=2,media=2,worker=2"
PROFILES = {
    "full": Profile(
        "full",
        LoadShape(customers=6, think_s=(0.2, 0.6), order_share=0.5, kitchens=3, uploaders=1,
                  upload_every_s=2.0, crowd=2000),
        REPLICAS, RESTART_SERVICES, drain_seconds=2.0, close_window=2.0, warmup_s=3, steady_s=15,
        before_s=3, after_s=5, after_data_s=8, pause_s=5, redis_down_s=2, postgres_down_s=5,
        settle_s=30,
    ),
    # make test: the same stack and faults, shorter windows; the media and worker
    # rolling restarts (~25 s together) are left to the full run and to the
    # services' own drain tests, to keep the run near 90 s
    "short": Profile(
        "short",
        LoadShape(customers=4, think_s=(0.2, 0.6), order_share=0.5, kitchens=3, uploaders=1,
                  upload_every_s=1.5, crowd=200),
        REPLICAS, ("menu", "realtime"), drain_seconds=1.5, close_window=1.0, warmup_s=2, steady_s=4,
        before_s=0.5, after_s=1.5, after_data_s=5.5, pause_s=3, redis_down_s=1,
        postgres_down_s=2, settle_s=20,
    ),
}  # fmt: skip


def _plan(
    chaos: ChaosStack, profile: Profile, rng: random.Random
) -> list[tuple[Phase, Callable[[], Awaitable[str]] | None]]:
    plan: list[tuple[Phase, Callable[[], Awaitable[str]] | None]] = [
        (Phase("steady state", "steady"), None)
    ]
    for service in profile.restarts:
        plan.append(
            (
                Phase(f"rolling restart {service}", "restart"),
                lambda s=service: faults.rolling_restart(chaos, s),  # type: ignore[misc]
            )
        )
    for service in ("menu", "realtime"):
        plan.append(
            (
                Phase(f"kill -9 one {service} replica", "kill"),
                lambda s=service: faults.kill_replica(chaos, s, rng),  # type: ignore[misc]
            )
        )
    plan += [
        (Phase(f"Redis paused {profile.pause_s:g} s", "redis"),
         lambda: faults.redis_pause(chaos, profile.pause_s)),
        (Phase("Redis killed, restarted from AOF", "redis"),
         lambda: faults.redis_kill(chaos, profile.redis_down_s)),
        (Phase("PostgreSQL restarted", "postgres"),
         lambda: faults.postgres_restart(chaos, profile.postgres_down_s)),
    ]  # fmt: skip
    return plan


async def _run_phase(
    rec: Recorder,
    phase: Phase,
    fault: Callable[[], Awaitable[str]] | None,
    profile: Profile,
) -> None:
    phase.start = rec.now()
    print(f"[chaos {phase.start:6.1f}s] {phase.name}", flush=True)
    if fault is None:
        await asyncio.sleep(profile.steady_s)
        phase.fault_start = phase.fault_end = phase.end = rec.now()
        return
    await asyncio.sleep(profile.before_s)
    phase.fault_start = rec.now()
    try:
        phase.note = await fault()
    except Exception as exc:  # the report names it; the run goes on to the next phase
        phase.error = f"{type(exc).__name__}: {exc}"
    phase.fault_end = rec.now()
    await asyncio.sleep(
        profile.after_s if phase.kind in {"restart", "kill"} else profile.after_data_s
    )
    phase.end = rec.now()


async def _schema(database_url: str, slug: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return str(
            await conn.fetchval("SELECT schema_name FROM public.tenants WHERE slug = $1", slug)
        )
    finally:
        await conn.close()


async def _db_orders(database_url: str, schema: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(database_url)
    try:
        quoted = '"' + schema.replace('"', '""') + '"'
        rows = await conn.fetch(f"SELECT id, coalesce(note, '') AS note FROM {quoted}.orders")  # noqa: S608 - a quoted identifier
        return [(int(r["id"]), str(r["note"])) for r in rows]
    finally:
        await conn.close()


async def _end_state(
    chaos: ChaosStack, load: Load, rec: Recorder, profile: Profile, phases: list[Phase]
) -> dict[str, Any]:
    """Stop writing, let events and jobs settle, then compare what clients saw with the DB."""
    load.pause_writers()
    await asyncio.sleep(2)  # in-flight requests finish (and the web app's retries)
    url, slug = chaos.postgres.url, load.target.slug
    schema = await _schema(url, slug)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + profile.settle_s
    while True:
        await load.poll_uploads()
        db = await _db_orders(url, schema)
        ids = {order_id for order_id, _ in db}
        missing = {k: ids - load.kitchen_orders(k) for k in range(load.shape.kitchens)}
        outbox = await outbox_rows(url)
        settled = not any(missing.values()) and outbox == 0 and not load.uploads.pending
        if settled or loop.time() > deadline:
            break
        await asyncio.sleep(0.5)
    notes = Counter(note for _, note in db)
    lost = sorted(order_id for order_id in rec.orders if order_id not in ids)
    doubled = sorted(key for key, n in notes.items() if key.startswith("chaos ") and n > 1)
    return {
        "orders_accepted": len(rec.orders),
        "orders_in_db": len(ids),
        "orders_lost": lost,
        "orders_doubled_keys": [key.removeprefix("chaos ") for key in doubled],
        "kitchens": [
            {
                "kitchen": k,
                "knows": len(load.kitchen_orders(k) & ids),
                "missed": sorted(m)[:50],
                "missed_count": len(m),
            }
            for k, m in missing.items()
        ],
        "uploads_accepted": len(load.uploads.ready)
        + len(load.uploads.pending)
        + len(load.uploads.failed),
        "uploads_ready": len(load.uploads.ready),
        "uploads_not_ready": [
            {
                "id": image_id,
                "status": status,
                "accepted_s": round(t, 2),
                "phase": next(
                    (p.name for p in phases if p.start <= t < p.end), "warm-up or settle"
                ),
            }
            for status, images in (
                ("processing", load.uploads.pending),
                ("failed", load.uploads.accepted_failed()),
            )
            for image_id, t in sorted(images.items(), key=lambda kv: kv[1])
        ],
        "outbox_rows": outbox,
        "settle_s": round(profile.settle_s - max(0.0, deadline - loop.time()), 1),
    }


def _violations(figures: list[dict[str, Any]], end: dict[str, Any]) -> list[str]:
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


async def _run_async(chaos: ChaosStack, profile: Profile, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    target = await prepare_tenant(chaos)
    rec = Recorder()
    load = Load(target, rec, profile.shape, seed)
    crowd = Crowd(target, profile.shape, seed)
    sampler = CpuSampler()
    sampler.start()
    try:
        await crowd.start(within=180)
        await load.open_sockets(within=60, crowd=0)
        load.start()
        await asyncio.sleep(profile.warmup_s)  # connections and caches warm, not measured
        load.rebase()
        plan = _plan(chaos, profile, rng)
        for phase, fault in plan:
            await _run_phase(rec, phase, fault, profile)
        end = await _end_state(chaos, load, rec, profile, [phase for phase, _ in plan])
    finally:
        await load.stop()
        await crowd.stop(rec)
        sampler.stop()
    phases = [phase for phase, _ in plan]
    steady = phase_figures(rec, phases[0], float("nan"))
    steady_p99 = steady["p99_ms"] if steady["p99_ms"] is not None else float("nan")
    figures = [steady] + [phase_figures(rec, p, steady_p99) for p in phases[1:]]
    for phase, figure in zip(phases, figures, strict=True):
        figure["cpu"] = sampler.figures(rec.started + phase.start, rec.started + phase.end)
    return {
        "profile": profile.name,
        "seed": seed,
        "load": profile.shape.__dict__,
        "replicas": profile.replicas,
        "phases": figures,
        "end_state": end,
        "violations": _violations(figures, end),
        "timeline": _timeline(rec, phases),
    }


def _timeline(rec: Recorder, phases: list[Phase]) -> dict[str, Any]:
    """What the plots need: latency points, failures, reconnect times, phase bands."""
    return {
        "latency": [
            (round(a.t, 3), round(a.ms, 1))
            for a in rec.attempts
            if a.outcome == "ok" and a.kind in {"store", "menu", "order"}
        ],
        "failures": [(round(a.t, 3), a.kind, a.outcome) for a in rec.attempts if a.outcome != "ok"],
        "reconnects": [round(ev.t, 3) for ev in rec.sockets if ev.what == "connect"],
        "phases": [
            {"name": p.name, "start": p.start, "end": p.end, "fault": [p.fault_start, p.fault_end]}
            for p in phases
        ],
    }


def run(profile: Profile, seed: int, *, keep: bool = False) -> dict[str, Any]:
    """The whole run; the report's data (its ``violations`` empty when every invariant held)."""
    started = time.monotonic()
    result: dict[str, Any] = {}
    setup_s = 0.0
    try:
        with chaos_stack(
            profile.replicas,
            drain_seconds=profile.drain_seconds,
            close_window=profile.close_window,
            keep=keep,
        ) as chaos:
            setup_s = time.monotonic() - started
            print(f"[chaos] stack ready in {setup_s:.0f} s", flush=True)
            result = asyncio.run(_run_async(chaos, profile, seed))
    except RuntimeError as exc:
        if not result:
            raise
        # the run is measured; a stack that did not stop cleanly is reported, not fatal
        result["stack_stop_error"] = str(exc)[-2000:]
    result["setup_s"] = round(setup_s, 1)
    result["seconds"] = round(time.monotonic() - started, 1)
    return result
