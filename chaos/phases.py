"""The run: setup, the phases one after another under load, the end state, the verdict.

The invariants a run must keep are listed (and judged) in :mod:`chaos.verdict`;
the end state is gathered by :mod:`chaos.endstate`.

Invariants of the run itself:

- the crowd and the kitchens are connected before customers and uploaders
  start, and the measured timeline begins after the warm-up;
- the phases run in the order of :func:`_plan`: steady state first (the
  reference for p99 and recovery), then each fault with load before and
  after it;
- a fault that raises is recorded on its phase (a violation) and the run
  goes on to the next phase;
- the load, the crowd and the CPU sampler are stopped whatever happened.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chaos import faults
from chaos.cpu import CpuSampler
from chaos.crowd import Crowd
from chaos.endstate import end_state
from chaos.load import Load, LoadShape
from chaos.metrics import Phase, Recorder, phase_figures
from chaos.setup import chaos_stack, prepare_tenant
from chaos.verdict import violations

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from chaos.setup import ChaosStack

__all__ = ["PROFILES", "Profile", "run"]

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
        end = await end_state(chaos, load, rec, profile.settle_s, [phase for phase, _ in plan])
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
        "violations": violations(figures, end),
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
