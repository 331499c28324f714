"""The crowd: the idle ``menu`` sockets, in a process of their own.

Thousands of sockets reconnecting at once would otherwise stall the main
process's event loop and show up as customer latency that the stack did
not cause.

Invariants:

- the child is started with ``spawn`` (no forked event loop or session), so
  its entry point, :func:`_crowd_main`, stays a top-level function of this
  module and everything it is given pickles;
- the child opens only crowd sockets (no kitchens, no customers, no HTTP);
- it records on the same clock as the parent (``time.monotonic`` is
  system-wide), in absolute times; the parent rebases them when it takes
  the events back on :meth:`Crowd.stop`, and keeps ``rec.sockets`` in time
  order.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
from typing import TYPE_CHECKING, Any

from chaos.load import Load, LoadShape
from chaos.metrics import Recorder, SocketEvent

if TYPE_CHECKING:
    from chaos.gateway import Target

__all__ = ["Crowd"]


class Crowd:
    """The idle ``menu`` sockets, in a child process; its socket events come back on stop."""

    def __init__(self, target: Target, shape: LoadShape, seed: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._out: Any = context.Queue()
        self._stop: Any = context.Event()
        self._process = context.Process(
            target=_crowd_main,
            args=(target, shape, seed, self._out, self._stop),
            name="chaos-crowd",
            daemon=True,
        )

    async def start(self, within: float) -> None:
        self._process.start()
        kind, detail = await asyncio.to_thread(self._out.get, True, within)
        if kind != "ready":
            raise RuntimeError(f"the crowd did not connect: {detail}")

    async def stop(self, rec: Recorder) -> None:
        """Close every socket; add the crowd's events to ``rec`` (in time order)."""
        self._stop.set()
        if not self._process.is_alive():
            return  # it never connected (start raised) or already died: nothing to add
        try:
            _, events = await asyncio.to_thread(self._out.get, True, 120)
        except queue.Empty:
            self._process.kill()
            return
        await asyncio.to_thread(self._process.join, 30)
        rec.sockets += [
            SocketEvent(t - rec.started, role, n, what, code, recovered)
            for t, role, n, what, code, recovered in events
        ]
        rec.sockets.sort(key=lambda ev: ev.t)


def _crowd_main(target: Target, shape: LoadShape, seed: int, out: Any, stop: Any) -> None:
    asyncio.run(_crowd(target, shape, seed, out, stop))


async def _crowd(target: Target, shape: LoadShape, seed: int, out: Any, stop: Any) -> None:
    rec = Recorder(started=0.0)  # absolute monotonic times: the parent rebases them
    load = Load(target, rec, LoadShape(**(shape.__dict__ | {"kitchens": 0})), seed)
    try:
        await load.open_sockets(120, crowd=shape.crowd)
    except Exception as exc:
        out.put(("error", str(exc)))
        await load.stop()
        return
    out.put(("ready", None))
    await asyncio.to_thread(stop.wait)
    await load.stop()
    out.put(("events", [(e.t, e.role, e.socket, e.what, e.code, e.recovered) for e in rec.sockets]))
