"""The drain state machine: delay, hooks in order, a second signal hurries, bounded hooks."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from stelly_core.lifecycle import Lifecycle
from stelly_core.settings import load_settings


async def test_hooks_run_in_order_after_the_delay() -> None:
    lifecycle = Lifecycle(drain_seconds=0.3, shutdown_seconds=5)
    ran: list[tuple[str, float]] = []
    started = time.monotonic()

    async def first() -> None:
        ran.append(("first", time.monotonic() - started))

    async def second() -> None:
        ran.append(("second", time.monotonic() - started))

    lifecycle.on_drain(first)
    lifecycle.on_drain(second)
    assert not lifecycle.draining
    assert lifecycle.begin() is True
    assert lifecycle.draining
    await lifecycle.drain()
    assert [name for name, _ in ran] == ["first", "second"]
    assert ran[0][1] >= 0.3


async def test_a_second_signal_cuts_the_delay_short() -> None:
    lifecycle = Lifecycle(drain_seconds=30, shutdown_seconds=5)
    lifecycle.begin()
    drain = asyncio.create_task(lifecycle.drain())
    await asyncio.sleep(0.1)
    assert lifecycle.begin() is False
    await asyncio.wait_for(drain, timeout=2)


async def test_a_hook_that_hangs_is_bounded_and_the_next_one_still_runs() -> None:
    lifecycle = Lifecycle(drain_seconds=0, shutdown_seconds=0.2)
    ran: list[str] = []

    async def hangs() -> None:
        await asyncio.Event().wait()

    async def fails() -> None:
        raise RuntimeError("boom")

    async def last() -> None:
        ran.append("last")

    for hook in (hangs, fails, last):
        lifecycle.on_drain(hook)
    await asyncio.wait_for(lifecycle.drain(), timeout=3)
    assert ran == ["last"]


async def test_sigterm_drains_then_calls_back() -> None:
    lifecycle = Lifecycle(drain_seconds=0.2, shutdown_seconds=1)
    drained = asyncio.Event()
    loop = asyncio.get_running_loop()
    lifecycle.install_signal_handlers(drained.set)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(0.05)
        assert lifecycle.draining
        assert not drained.is_set()
        await asyncio.wait_for(drained.wait(), timeout=3)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def test_settings_give_the_numbers() -> None:
    settings = load_settings({"STELLY_DRAIN_SECONDS": "7", "STELLY_SHUTDOWN_SECONDS": "20"})
    lifecycle = Lifecycle.from_settings(settings)
    assert (lifecycle.drain_seconds, lifecycle.shutdown_seconds) == (7, 20)
