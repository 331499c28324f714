"""The load, through the gateway only: customers, kitchens, staff uploads, an idle crowd.

All of it runs on this process's event loop (aiohttp and websockets). Each
actor draws from its own ``random.Random`` seeded from the run's seed, so a
run's choices are reproducible (timings of course are not).

Invariants:

- customers do exactly what the web app does and no more: reads are not
  retried (``lib/api.ts``); an order POST carries one ``Idempotency-Key``
  for its body and is retried with that key at most twice, after 0.8 s and
  1.6 s, on a network error, 429 or 5xx (``storefront/Checkout.tsx``,
  ``lib/idempotency.ts``). Every retry is counted;
- realtime clients resume as ``lib/realtime.ts`` does: on any close they
  reconnect with full-jitter back-off (1 s doubling to 15 s) and subscribe
  with ``since`` (the last offset seen); ``recovered: false`` (and the first
  subscribe) makes a kitchen refetch its orders over REST;
- a socket's ``close`` is recorded only if it had subscribed, so every
  ``close`` is paired with the ``resume`` that follows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import queue
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from chaos.metrics import Recorder, SocketEvent, classify
from loadtests.images import png_bytes

__all__ = ["Crowd", "Load", "LoadShape", "Target"]

_RETRYABLE_ORDER_RETRIES = 2  # Checkout.tsx AUTO_RETRIES


@dataclass(frozen=True)
class Target:
    """Where the load goes: the gateway, the tenant's host, the staff token, the menu."""

    port: int
    slug: str
    staff_token: str
    orderable: list[int]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"{self.slug}.localhost:{self.port}"


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


def _offset(value: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in value.split("-"))
    except ValueError:
        return (0,)


def full_jitter(rng: random.Random, attempt: int, *, abrupt: bool = False) -> float:
    """Seconds before reconnect ``attempt`` (0-based): uniform in [0, min(15, 1 * 2^n)].

    After an abrupt loss (1006, or 1011 from the gateway when a replica
    vanished) the ceiling is 5x wider, as in the web app: nobody spread
    those closes, unlike the 1012s of a draining replica.
    """
    ceiling = 1.0 * 2 ** min(attempt, 5) * (5 if abrupt else 1)
    return rng.uniform(0.0, min(15.0, ceiling))


@dataclass
class Uploads:
    """Images accepted (202) and what became of them."""

    pending: dict[str, float] = field(default_factory=dict)  # id -> when accepted
    accepted: dict[str, float] = field(default_factory=dict)
    ready: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)

    def accepted_failed(self) -> dict[str, float]:
        return {image_id: self.accepted[image_id] for image_id in sorted(self.failed)}


class Load:
    """Starts and stops every actor; owns the HTTP session and the sockets."""

    def __init__(self, target: Target, rec: Recorder, shape: LoadShape, seed: int) -> None:
        self.target = target
        self.rec = rec
        self.shape = shape
        self.seed = seed
        self.uploads = Uploads()
        self.kitchen_subscribers: list[Subscriber] = []
        self.crowd_subscribers: list[Subscriber] = []
        self._session: aiohttp.ClientSession | None = None
        self._busy = asyncio.Event()  # set while customers and uploaders run
        self._tasks: list[asyncio.Task[None]] = []
        self._socket_tasks: list[asyncio.Task[None]] = []
        self._image = png_bytes(320, 240)

    # -- HTTP ---------------------------------------------------------------

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=30),
            )
        return self._session

    def headers(
        self, extra: dict[str, str] | None = None, *, staff: bool = False
    ) -> dict[str, str]:
        headers = {"host": self.target.host, "accept": "application/json"}
        if staff:
            headers["authorization"] = f"Bearer {self.target.staff_token}"
        return headers | (extra or {})

    async def exchange(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        expected: frozenset[int],
        staff: bool = False,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        data: Any = None,
    ) -> tuple[str, int | None, Any]:
        """One HTTP exchange through the gateway, recorded. Returns (outcome, status, JSON)."""
        started = self.rec.now()
        status: int | None = None
        retry_after = False
        body: Any = None
        try:
            async with self.session.request(
                method,
                self.target.base + path,
                headers=self.headers(headers, staff=staff),
                json=json_body,
                data=data,
            ) as response:
                status, retry_after = response.status, "retry-after" in response.headers
                raw = await response.read()
                with contextlib.suppress(ValueError):
                    body = json.loads(raw) if raw else None
        except (TimeoutError, aiohttp.ClientError, OSError):
            status = None
        outcome = classify(status, retry_after, expected=expected)
        self.rec.attempt(kind, started, outcome)
        return outcome, status, body

    # -- customers ------------------------------------------------------------

    async def _customer(self, n: int) -> None:
        rng = random.Random(f"{self.seed}-customer-{n}")
        while True:
            await self._busy.wait()
            for kind, path in (("store", "/api/v1/store"), ("menu", "/api/v1/store/menu")):
                started = self.rec.now()
                outcome, _, _ = await self.exchange(kind, "GET", path, expected=frozenset({200}))
                if outcome != "ok":
                    self.rec.customer_failed(started, kind, outcome)
            if rng.random() < self.shape.order_share:
                await self._order(rng, n)
            await asyncio.sleep(rng.uniform(*self.shape.think_s))

    async def _order(self, rng: random.Random, n: int) -> None:
        key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        body = {
            "items": [
                {"item_id": rng.choice(self.target.orderable), "quantity": rng.randint(1, 3),
                 "modifiers": []}
            ],
            "customer": {"name": f"Chaos customer {n}"},
            "fulfillment": "pickup",
            "note": f"chaos {key}",  # the key, so the end check can find doubles in the DB
        }  # fmt: skip
        started = self.rec.now()
        for attempt in range(_RETRYABLE_ORDER_RETRIES + 1):
            outcome, status, reply = await self.exchange(
                "order",
                "POST",
                "/api/v1/store/orders",
                expected=frozenset({201}),
                headers={"idempotency-key": key},
                json_body=body,
            )
            if outcome == "ok" and isinstance(reply, dict):
                order_id = int(reply["id"])
                self.rec.orders[order_id] = (self.rec.now(), key)
                self.rec.orders_by_key[key] = order_id
                return
            retryable = status is None or status == 429 or status >= 500
            if retryable and attempt < _RETRYABLE_ORDER_RETRIES:
                self.rec.order_retries.append(self.rec.now())
                await asyncio.sleep(0.8 * (attempt + 1))
                continue
            self.rec.customer_failed(started, "order", outcome)
            return

    # -- staff uploads ----------------------------------------------------------

    async def _uploader(self, n: int) -> None:
        rng = random.Random(f"{self.seed}-uploader-{n}")
        await asyncio.sleep(rng.uniform(0, self.shape.upload_every_s))
        while True:
            await self._busy.wait()
            form = aiohttp.FormData()
            form.add_field("file", self._image, filename="dish.png", content_type="image/png")
            outcome, _, reply = await self.exchange(
                "upload", "POST", "/api/v1/media/images", expected=frozenset({202}), staff=True,
                data=form,
            )  # fmt: skip
            if outcome == "ok" and isinstance(reply, dict):
                image_id = str(reply["id"])
                self.uploads.pending[image_id] = self.uploads.accepted[image_id] = self.rec.now()
            await asyncio.sleep(self.shape.upload_every_s * rng.uniform(0.7, 1.3))

    async def poll_uploads(self) -> None:
        """One pass over the images still processing."""
        for image_id in list(self.uploads.pending):
            outcome, _, reply = await self.exchange(
                "image", "GET", f"/api/v1/media/images/{image_id}", expected=frozenset({200}),
                staff=True,
            )  # fmt: skip
            if outcome != "ok" or not isinstance(reply, dict):
                continue
            if reply.get("status") == "ready":
                self.uploads.pending.pop(image_id, None)
                self.uploads.ready.add(image_id)
            elif reply.get("status") == "failed":
                self.uploads.pending.pop(image_id, None)
                self.uploads.failed.add(image_id)

    async def _upload_poller(self) -> None:
        while True:
            await self.poll_uploads()
            await asyncio.sleep(0.5)

    # -- kitchens -----------------------------------------------------------------

    async def refetch_orders(self, kitchen: int) -> None:
        """What a kitchen does after ``recovered: false``: read the orders over REST."""
        outcome, _, reply = await self.exchange(
            "admin_orders", "GET", "/api/v1/admin/orders?limit=500", expected=frozenset({200}),
            staff=True,
        )  # fmt: skip
        if outcome == "ok" and isinstance(reply, list):
            for order in reply:
                self.rec.order_seen(kitchen, int(order["id"]))

    def kitchen_orders(self, kitchen: int) -> set[int]:
        return {order_id for order_id, seen in self.rec.seen.items() if kitchen in seen}

    # -- lifecycle ------------------------------------------------------------------

    async def open_sockets(self, within: float, *, crowd: int) -> None:
        """Open the kitchens and ``crowd`` idle sockets (in batches); wait until all subscribed."""
        for k in range(self.shape.kitchens):
            sub = Subscriber(self, "kitchen", k, "kitchen", token=self.target.staff_token)
            self.kitchen_subscribers.append(sub)
            self._socket_tasks.append(asyncio.create_task(sub.run()))
        for c in range(crowd):
            sub = Subscriber(self, "crowd", c, "menu")
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
        for n in range(self.shape.customers):
            self._tasks.append(asyncio.create_task(self._customer(n)))
        for n in range(self.shape.uploaders):
            self._tasks.append(asyncio.create_task(self._uploader(n)))
        self._tasks.append(asyncio.create_task(self._upload_poller()))
        self._busy.set()

    def rebase(self) -> None:
        """The measured timeline starts now (see :meth:`Recorder.rebase`)."""
        shift = self.rec.rebase()
        up = self.uploads
        up.pending = {i: t - shift for i, t in up.pending.items()}
        up.accepted = {i: t - shift for i, t in up.accepted.items()}

    def pause_writers(self) -> None:
        """Customers and uploaders stop after what they are doing (the settle step)."""
        self._busy.clear()

    async def stop(self) -> None:
        for task in self._tasks + self._socket_tasks:
            task.cancel()
        for task in self._tasks + self._socket_tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._session is not None:
            await self._session.close()


class Subscriber:
    """One WebSocket client that keeps one subscription alive, as ``lib/realtime.ts`` does."""

    def __init__(
        self, load: Load, role: str, index: int, channel: str, token: str | None = None
    ) -> None:
        self.load = load
        self.role = role
        self.index = index
        self.channel = channel
        self.token = token
        self.offset: str | None = None
        self.subscribed_once = False
        self.open = False
        self.rng = random.Random(f"{load.seed}-{role}-{index}")

    def _subscribe_frame(self) -> str:
        frame = {"op": "subscribe", "channel": self.channel}
        if self.token:
            frame["token"] = self.token
        if self.offset:
            frame["since"] = self.offset
        return json.dumps(frame)

    async def run(self) -> None:
        rec, target = self.load.rec, self.load.target
        attempt = 0
        while True:
            if self.subscribed_once:
                rec.socket(self.role, self.index, "connect")
            code: int | None = None
            subscribed = False
            try:
                async with connect(
                    f"ws://{target.host}/ws/v1",
                    host="127.0.0.1",
                    port=target.port,
                    compression=None,
                    open_timeout=10,
                    ping_interval=None,  # the server pings; 2,000 clients pinging is our own load
                    close_timeout=2,
                ) as ws:
                    attempt = 0
                    await ws.send(self._subscribe_frame())
                    async for raw in ws:
                        if await self._handle(ws, json.loads(raw)):
                            subscribed = True
                code = ws.close_code
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else 1006
            except (OSError, TimeoutError, InvalidHandshake, ValueError):
                code = None
            if subscribed or self.open:
                rec.socket(self.role, self.index, "close", code=code)
            self.open = False
            await asyncio.sleep(full_jitter(self.rng, attempt, abrupt=code in (1006, 1011)))
            attempt += 1

    async def _handle(self, ws: Any, frame: dict[str, Any]) -> bool:
        """Act on one frame; True when it was our ``subscribed``."""
        op = frame.get("op")
        if op == "subscribed" and frame.get("channel") == self.channel:
            had_offset = self.offset is not None
            recovered = had_offset and frame.get("recovered") is True
            if not recovered:
                self.offset = str(frame.get("offset"))
            first = not self.subscribed_once
            self.subscribed_once = True
            self.open = True
            if not first:
                self.load.rec.socket(self.role, self.index, "resume", recovered=recovered)
            if self.role == "kitchen" and (first or not recovered):
                asyncio.create_task(self.load.refetch_orders(self.index))  # noqa: RUF006
            return True
        if op == "event" and frame.get("channel") == self.channel:
            offset = str(frame.get("offset"))
            if self.offset is not None and _offset(offset) <= _offset(self.offset):
                return False  # a duplicate or a replay we already have
            self.offset = offset
            if self.role == "kitchen" and frame.get("type") == "order.created":
                data = frame.get("data") or {}
                if "id" in data:
                    self.load.rec.order_seen(self.index, int(data["id"]))
            return False
        if op == "error":
            code = frame.get("code")
            if code == "invalid_offset":
                self.offset = None
                await ws.send(self._subscribe_frame())
            elif code == "unavailable":
                await asyncio.sleep(full_jitter(self.rng, 1))
                await ws.send(self._subscribe_frame())
        return False


class Crowd:
    """The idle ``menu`` sockets, in a process of their own.

    Thousands of sockets reconnecting at once would otherwise stall this
    process's event loop and show up as customer latency that the stack did
    not cause. The child records on the same clock (``time.monotonic`` is
    system-wide) and hands its socket events back when stopped.
    """

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
