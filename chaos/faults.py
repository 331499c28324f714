"""The faults, each an operator's action on the running stack or its data servers.

Each fault is a coroutine that returns when the fault is over (the restart
command exited, the killed replica is ready again, the data server is back)
and returns a one-line note for the report; it raises :class:`FaultError`
when the fault itself could not be carried out or the stack did not come
back (a ``dev restart`` that exits non-zero, a replica never ready again).
Blocking work runs in threads or subprocesses so the load keeps running.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import TYPE_CHECKING

from chaos.setup import ROOT

if TYPE_CHECKING:
    import random

    from chaos.setup import ChaosStack

__all__ = [
    "FaultError",
    "kill_replica",
    "postgres_restart",
    "redis_kill",
    "redis_pause",
    "rolling_restart",
]


class FaultError(RuntimeError):
    """The fault could not be applied, or the stack did not come back from it."""


async def rolling_restart(chaos: ChaosStack, service: str, *, within: float = 180.0) -> str:
    """``stelly dev restart SERVICE``: one replica at a time; its exit code decides."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "stelly_cli", "dev", "restart", service,
        cwd=ROOT, env=chaos.cli_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        output, _ = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise FaultError(f"dev restart {service} did not finish in {within:.0f} s") from None
    text = output.decode(errors="replace").strip()
    if process.returncode != 0:
        raise FaultError(f"dev restart {service} exited {process.returncode}: {text[-500:]}")
    return f"dev restart {service}: {time.monotonic() - started:.1f} s"


async def _status(chaos: ChaosStack) -> list[dict[str, object]]:
    return await asyncio.to_thread(chaos.status)


async def kill_replica(
    chaos: ChaosStack, service: str, rng: random.Random, *, within: float = 60.0
) -> str:
    """SIGKILL one ready replica of ``service``; return once the supervisor has it ready again."""
    ready = [
        p
        for p in await _status(chaos)
        if p["service"] == service and p["state"] == "ready" and p["pid"]
    ]
    if len(ready) < 2:
        raise FaultError(f"{service}: {len(ready)} ready replica(s), a kill needs 2")
    victim = rng.choice(ready)
    pid = int(str(victim["pid"]))
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    deadline = killed + within
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = [p for p in await _status(chaos) if p["service"] == service]
        if sum(1 for p in now if p["state"] == "ready" and p["pid"] != pid) >= len(ready):
            return (
                f"kill -9 {service} replica {victim['replica']} (pid {pid}):"
                f" ready again after {time.monotonic() - killed:.1f} s"
            )
    raise FaultError(f"{service} replica {victim['replica']} not ready {within:.0f} s after kill")


async def redis_pause(chaos: ChaosStack, seconds: float) -> str:
    """SIGSTOP Valkey for ``seconds``, then SIGCONT: connections stay open but nothing answers."""
    chaos.valkey.pause()
    try:
        await asyncio.sleep(seconds)
    finally:
        chaos.valkey.resume()
    return f"Valkey paused {seconds:g} s (SIGSTOP/SIGCONT)"


async def redis_kill(chaos: ChaosStack, down_seconds: float) -> str:
    """SIGKILL Valkey, leave it down ``down_seconds``, start it on the same port from its AOF."""
    chaos.valkey.kill()
    await asyncio.sleep(down_seconds)
    started = time.monotonic()
    await asyncio.to_thread(chaos.valkey.restart)
    return (
        f"Valkey killed (-9), down {down_seconds:g} s, restarted from its AOF"
        f" in {time.monotonic() - started:.1f} s"
    )


async def postgres_restart(chaos: ChaosStack, down_seconds: float) -> str:
    """``pg_ctl stop -m fast``, ``down_seconds`` of nothing, ``pg_ctl start``."""
    started = time.monotonic()
    await asyncio.to_thread(chaos.postgres.shut_down, "fast")
    stopped = time.monotonic()
    await asyncio.sleep(down_seconds)
    await asyncio.to_thread(chaos.postgres.start_again)
    return (
        f"PostgreSQL stopped (fast) in {stopped - started:.1f} s, down {down_seconds:g} s,"
        f" started in {time.monotonic() - stopped - down_seconds:.1f} s"
    )
