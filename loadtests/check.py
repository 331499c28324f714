"""The scale-rule check: drive one replica of each service at its rule's target.

For each service in ``infra/scale.json`` the local stack (one process per
service, as one replica in Azure) is driven at the target its scale rule
names, for a short bounded window, and held to the SLO in the same file:

- menu, media: the HTTP rule's concurrent requests, as that many closed-loop
  users with no think time, stepped at 0.5x, 1x and 1.5x the target (the 1x
  step decides pass/fail; the others draw the latency curve);
- realtime: its socket budget of open kitchen WebSockets while orders are
  placed; the SLO is on order-placed-to-kitchen-screen latency, and the
  replica's CPU is measured, since CPU is what its rule scales on;
- media worker: bursts of as many jobs as the queue rule's per-replica
  message count; the SLO is on upload-accepted-to-ready latency.

Then a step load is replayed through the KEDA formula with each service's
prod bounds, and a JSON + Markdown report and a PNG plot are written under
``loadtests/results/``. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import gevent
import httpx

from loadtests.report import ServiceResult, write_report
from loadtests.runner import Figures, figures, run_phase
from loadtests.scale import ServiceScale, load_scale_rules, replay
from loadtests.scenarios import (
    Context,
    KitchenSocketUser,
    OrderDriverUser,
    StaffUploadUser,
    StorefrontUser,
)
from loadtests.setup import prepare
from loadtests.stack import LocalStack

__all__ = ["main"]

RESULTS = Path(__file__).resolve().parent / "results"
STEPS = (0.5, 1.0, 1.5)
# A day in one hour: load as a multiple of one replica's target, per 15 s window.
STEP_PROFILE = (
    [0.0] * 8 + [0.5] * 16 + [2.0] * 16 + [6.0] * 16 + [12.0] * 16 + [3.0] * 16 + [0.0] * 40
)


def _cpu_seconds(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _http_steps(
    scale: ServiceScale, users: list[type], host: str, seconds: float
) -> tuple[Figures, list[dict[str, Any]], dict[str, Any]]:
    curve = []
    at_target: Figures | None = None
    breakdown: dict[str, Any] = {}
    for step in STEPS:
        count = max(1, round(scale.load_target * step))
        result, env = run_phase(users, count, host, seconds=seconds)
        curve.append({"load": count, **result.as_dict()})
        print(f"  {scale.name} at {count} concurrent: {_line(result)}", flush=True)
        if step == 1.0:
            at_target = result
            breakdown = {
                entry.name: {
                    "requests": entry.num_requests,
                    "failures": entry.num_failures,
                    "p50_ms": entry.get_response_time_percentile(0.5),
                    "p99_ms": entry.get_response_time_percentile(0.99),
                }
                for entry in env.stats.entries.values()
            }
            for name, row in breakdown.items():
                print(f"    {name}: {row}", flush=True)
    assert at_target is not None
    return at_target, curve, {"by_request": breakdown}


def _line(result: Figures) -> str:
    return (
        f"{result.rps:7.1f} req/s  p50 {result.p50_ms:6.0f} ms  p99 {result.p99_ms:6.0f} ms"
        f"  errors {result.error_rate:.2%} ({result.failures}/{result.requests})"
    )


def _realtime(
    scale: ServiceScale, stack: LocalStack, context: Context, seconds: float
) -> tuple[Figures, dict[str, Any]]:
    KitchenSocketUser.realtime_url = stack.url("realtime").replace("http://", "ws://")
    sockets = int(scale.load_target)
    pid = stack.pid_of("stelly_realtime")
    env_holder: dict[str, Any] = {}

    def measure() -> tuple[Figures, Any]:
        return run_phase(
            [KitchenSocketUser, OrderDriverUser],
            sockets + 1,
            stack.url("menu"),
            seconds=seconds,
            warmup=3.0,
            spawn_rate=100,
            names={"WS connect+subscribe kitchen", "WS connection lost"},
        )

    cpu_before, wall_before = _cpu_seconds(pid), time.monotonic()
    context.orders_sent.clear()
    context.deliveries.clear()
    context.sockets_opened = 0
    socket_figures, env = measure()
    cpu_after, wall_after = _cpu_seconds(pid), time.monotonic()
    env_holder["env"] = env
    # Orders placed while every socket was subscribed (not those of the ramp-up,
    # nor the last two seconds, whose events may still be on their way).
    window_end = max(context.orders_sent.values(), default=0.0) - 2.0
    judged = {
        oid: t
        for oid, t in context.orders_sent.items()
        if context.last_subscribed <= t <= window_end
    }
    latencies = [
        (received - judged[oid]) * 1000 for oid, received in context.deliveries if oid in judged
    ]
    subscribed = sockets - socket_figures.failures
    per_tenant = max(1, len(context.ordering()))
    expected = len(judged) * subscribed // per_tenant
    missed = max(0, expected - len(latencies)) + socket_figures.failures
    result = figures(latencies, missed, wall_after - wall_before)
    cores = (
        (cpu_after - cpu_before) / (wall_after - wall_before)
        if cpu_before is not None and cpu_after is not None
        else None
    )
    extra = {
        "sockets": sockets,
        "orders": len(judged),
        "deliveries": len(latencies),
        "expected_deliveries": expected,
        "sockets_lost_or_refused": socket_figures.failures,
        "cpu_cores": None if cores is None else round(cores, 3),
    }
    print(f"  realtime with {sockets} sockets: {_line(result)}  cpu {cores} cores", flush=True)
    return result, extra


def _worker(
    scale: ServiceScale, stack: LocalStack, context: Context, bursts: int
) -> tuple[Figures, dict[str, Any]]:
    tenant = next(t for t in context.tenants if t.staff_token)
    jobs = int(scale.rule.target)
    latencies: list[float] = []
    failures = 0
    started = time.monotonic()
    with httpx.Client(base_url=stack.url("media"), timeout=30) as client:
        headers = context.headers(tenant.slug)
        auth = headers | {"authorization": f"Bearer {tenant.staff_token}"}

        def one() -> float | None:
            response = client.post(
                "/api/v1/media/images",
                headers=auth,
                files={"file": ("dish.png", context.image, "image/png")},
            )
            accepted = time.monotonic()
            if response.status_code != 202:
                return None
            image_id = response.json()["id"]
            deadline = accepted + 60
            while time.monotonic() < deadline:
                status = client.get(f"/api/v1/media/images/{image_id}", headers=headers).json()
                if status["status"] == "ready":
                    return (time.monotonic() - accepted) * 1000
                if status["status"] == "failed":
                    return None
                gevent.sleep(0.1)
            return None

        for _ in range(bursts):
            results = [g.get() for g in [gevent.spawn(one) for _ in range(jobs)]]
            latencies += [r for r in results if r is not None]
            failures += sum(r is None for r in results)
    result = figures(latencies, failures, time.monotonic() - started)
    print(f"  media-worker, {bursts} bursts of {jobs} jobs: {_line(result)}", flush=True)
    return result, {"jobs_per_burst": jobs, "bursts": bursts, "queue": "Redis Streams (local)"}


def _model(scale: ServiceScale, cpu_per_socket: float | None) -> dict[str, Any]:
    low, high = scale.bounds("prod")
    load = [m * scale.load_target for m in STEP_PROFILE]
    if scale.rule.type == "cpu" and cpu_per_socket:
        # CPU % of one replica's 0.5 vCPU, summed: what the CPU rule compares.
        metric = [sockets * cpu_per_socket for sockets in load]
    else:
        metric = load
    replicas = replay(metric, scale.rule.target, low, high)
    return {
        "load": load,
        "metric": metric,
        "replicas": replicas,
        "min": low,
        "max": high,
        "peak_replicas": max(replicas),
        "over_capacity_windows": sum(m > scale.rule.target * high for m in metric),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtests", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window per step")
    parser.add_argument("--tenants", type=int, default=6, help="tenants besides pizza and burger")
    parser.add_argument("--bursts", type=int, default=4, help="worker job bursts")
    parser.add_argument(
        "--only", action="append", choices=sorted(load_scale_rules()), help="check only these"
    )
    args = parser.parse_args(argv)
    args.seconds = min(args.seconds, 60.0)  # bounded, whatever is asked
    rules = load_scale_rules()
    began = time.monotonic()
    print("starting the local stack (stelly dev)...", flush=True)
    stack = LocalStack.start()
    results: list[ServiceResult] = []
    try:
        context = prepare(stack, args.tenants)
        print(f"stack up, {len(context.tenants)} tenants, in {time.monotonic() - began:.0f} s")
        for user in (StorefrontUser, StaffUploadUser, KitchenSocketUser, OrderDriverUser):
            user.stelly = context

        wanted = set(args.only or rules)
        cpu_per_socket = None
        if "menu" in wanted:
            scale = rules["menu"]
            at_target, curve, extra = _http_steps(
                scale, [StorefrontUser], stack.url("menu"), args.seconds
            )
            results.append(ServiceResult(scale, at_target, curve, extra))
        if "media-worker" in wanted:
            scale = rules["media-worker"]
            worker, extra = _worker(scale, stack, context, args.bursts)
            results.append(ServiceResult(scale, worker, [], extra))
        if "realtime" in wanted:
            scale = rules["realtime"]
            realtime, extra = _realtime(scale, stack, context, args.seconds * 2)
            results.append(ServiceResult(scale, realtime, [], extra))
            cores = extra.get("cpu_cores")
            cpu_per_socket = (
                cores / 0.5 * 100 / extra["sockets"] if cores and extra["sockets"] else None
            )
        if "media" in wanted:
            scale = rules["media"]
            at_target, curve, extra = _http_steps(
                scale, [StaffUploadUser], stack.url("media"), args.seconds
            )
            results.append(ServiceResult(scale, at_target, curve, extra))
    finally:
        stack.stop()
    for result in results:
        result.model = _model(
            result.scale, cpu_per_socket if result.scale.name == "realtime" else None
        )
    report = write_report(RESULTS, results, time.monotonic() - began)
    print("")
    for result in results:
        print(result.summary_line())
    print(f"\nreport: {report}  ({time.monotonic() - began:.0f} s in all)")
    return 0 if all(r.passed for r in results) else 1
