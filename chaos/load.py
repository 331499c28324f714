"""The load, through the gateway only: customers, kitchens, staff uploads (the crowd: crowd.py).

:class:`Load` starts and stops every actor of this process; the actors
themselves live in ``customers.py``, ``uploads.py`` and ``sockets.py``, and
all of them send HTTP through one :class:`~chaos.gateway.Gateway`.

Invariants:

- all of it runs on this process's event loop (aiohttp and websockets);
- each actor draws from its own ``random.Random`` seeded from the run's
  seed, its role and its index, so a run's choices are reproducible
  (timings of course are not);
- sockets are opened (and subscribed) before customers and uploaders start;
- customers and uploaders run only while ``busy`` is set: pausing them for
  the settle step lets what they are doing finish;
- :meth:`Load.stop` cancels every task it started and closes the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chaos.customers import customer
from chaos.gateway import Gateway
from chaos.sockets import Subscriber
from chaos.uploads import Uploads, poll_uploads, upload_poller, uploader
from loadtests.images import png_bytes

if TYPE_CHECKING:
    from chaos.gateway import Target
    from chaos.metrics import Recorder

__all__ = ["Load", "LoadShape"]


@dataclass(frozen=True)
class LoadShape:
    """How much load: actors and their pace."""

    customers: int
    think_s: tuple[float, float]
    order_share: float
    kitchens: int
    uploaders: int
    upload_every_s: float
    crowd: int


class Load:
    """Starts and stops every actor; owns the gateway client and the sockets."""

    def __init__(self, target: Target, rec: Recorder, shape: LoadShape, seed: int) -> None:
        self.target = target
        self.rec = rec
        self.shape = shape
        self.seed = seed
        self.gateway = Gateway(target, rec)
        self.uploads = Uploads()
        self.kitchen_subscribers: list[Subscriber] = []
        self.crowd_subscribers: list[Subscriber] = []
        self._busy = asyncio.Event()  # set while customers and uploaders run
        self._tasks: list[asyncio.Task[None]] = []
        self._socket_tasks: list[asyncio.Task[None]] = []

    async def poll_uploads(self) -> None:
        """One pass over the images still processing."""
        await poll_uploads(self.gateway, self.uploads)

    def kitchen_orders(self, kitchen: int) -> set[int]:
        return {order_id for order_id, seen in self.rec.seen.items() if kitchen in seen}

    async def open_sockets(self, within: float, *, crowd: int) -> None:
        """Open the kitchens and ``crowd`` idle sockets (in batches); wait until all subscribed."""
        for k in range(self.shape.kitchens):
            token = self.target.staff_token
            sub = Subscriber(self.gateway, self.seed, "kitchen", k, "kitchen", token=token)
            self.kitchen_subscribers.append(sub)
            self._socket_tasks.append(asyncio.create_task(sub.run()))
        for c in range(crowd):
            sub = Subscriber(self.gateway, self.seed, "crowd", c, "menu")
            self.crowd_subscribers.append(sub)
            self._socket_tasks.append(asyncio.create_task(sub.run()))
            if c % 100 == 99:
                await asyncio.sleep(0.1)
        everyone = self.kitchen_subscribers + self.crowd_subscribers
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not all(s.subscribed_once for s in everyone):
            if loop.time() > deadline:
                missing = sum(not s.subscribed_once for s in everyone)
                raise RuntimeError(f"{missing} of {len(everyone)} sockets never subscribed")
            await asyncio.sleep(0.2)

    def start(self) -> None:
        """Start customers, uploaders and the upload poller (sockets are opened before)."""
        shape, busy = self.shape, self._busy
        for n in range(shape.customers):
            rng = random.Random(f"{self.seed}-customer-{n}")
            actor = customer(
                self.gateway,
                rng,
                n,
                think_s=shape.think_s,
                order_share=shape.order_share,
                busy=busy,
            )
            self._tasks.append(asyncio.create_task(actor))
        image = png_bytes(320, 240)
        for n in range(shape.uploaders):
            rng = random.Random(f"{self.seed}-uploader-{n}")
            actor = uploader(
                self.gateway, self.uploads, rng, image, every_s=shape.upload_every_s, busy=busy
            )
            self._tasks.append(asyncio.create_task(actor))
        self._tasks.append(asyncio.create_task(upload_poller(self.gateway, self.uploads)))
        busy.set()

    def rebase(self) -> None:
        """The measured timeline starts now (see :meth:`Recorder.rebase`)."""
        self.uploads.shift(self.rec.rebase())

    def pause_writers(self) -> None:
        """Customers and uploaders stop after what they are doing (the settle step)."""
        self._busy.clear()

    async def stop(self) -> None:
        for task in self._tasks + self._socket_tasks:
            task.cancel()
        for task in self._tasks + self._socket_tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.gateway.close()
