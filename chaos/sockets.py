"""The realtime clients: kitchens and the idle crowd, each one WebSocket that resumes.

Invariants:

- a client resumes as ``lib/realtime.ts`` does: on any close it reconnects
  with full-jitter back-off (1 s doubling to 15 s, 5x wider after an abrupt
  loss) and subscribes with ``since`` (the last offset seen);
- ``recovered: false`` (and the first subscribe) makes a kitchen refetch its
  orders over REST, so a kitchen knows every order either way;
- an event at or below the last offset seen is a duplicate and is ignored;
- a socket's ``close`` is recorded only if it had subscribed, so every
  ``close`` is paired with the ``resume`` that follows it;
- each client draws only from its own ``random.Random`` (seed, role, index).
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

if TYPE_CHECKING:
    from chaos.gateway import Gateway

__all__ = ["Subscriber", "full_jitter", "refetch_orders"]


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


async def refetch_orders(gateway: Gateway, kitchen: int) -> None:
    """What a kitchen does after ``recovered: false``: read the orders over REST."""
    outcome, _, reply = await gateway.exchange(
        "admin_orders", "GET", "/api/v1/admin/orders?limit=500", expected=frozenset({200}),
        staff=True,
    )  # fmt: skip
    if outcome == "ok" and isinstance(reply, list):
        for order in reply:
            gateway.rec.order_seen(kitchen, int(order["id"]))


@dataclass(eq=False)
class Subscriber:
    """One WebSocket client that keeps one subscription alive, as ``lib/realtime.ts`` does."""

    gateway: Gateway
    seed: int
    role: str  # "kitchen" or "crowd"
    index: int
    channel: str
    token: str | None = None
    offset: str | None = None  # the last offset seen: ``since`` on resubscribe
    subscribed_once: bool = False
    open: bool = False
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.seed}-{self.role}-{self.index}")

    def _subscribe_frame(self) -> str:
        frame = {"op": "subscribe", "channel": self.channel}
        if self.token:
            frame["token"] = self.token
        if self.offset:
            frame["since"] = self.offset
        return json.dumps(frame)

    async def run(self) -> None:
        rec, target = self.gateway.rec, self.gateway.target
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
                self.gateway.rec.socket(self.role, self.index, "resume", recovered=recovered)
            if self.role == "kitchen" and (first or not recovered):
                asyncio.create_task(refetch_orders(self.gateway, self.index))  # noqa: RUF006
            return True
        if op == "event" and frame.get("channel") == self.channel:
            offset = str(frame.get("offset"))
            if self.offset is not None and _offset(offset) <= _offset(self.offset):
                return False  # a duplicate or a replay we already have
            self.offset = offset
            if self.role == "kitchen" and frame.get("type") == "order.created":
                data = frame.get("data") or {}
                if "id" in data:
                    self.gateway.rec.order_seen(self.index, int(data["id"]))
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
