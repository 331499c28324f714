"""Locust users: storefront browsing, ordering, staff uploads, kitchen sockets.

Every request goes straight to one service on 127.0.0.1, as Front Door would
send it: the app's own address, the tenant in ``X-Tenant-Host`` and the
profile's id in ``X-Azure-FDID``. The users read their targets from
:class:`Context`, which the runner fills before a run.

A kitchen socket behaves like the web app's (``web/src/lib/realtime.ts``):
after any close it waits a full-jitter delay (:func:`reconnect_delay`, the
same base and cap), reconnects and resubscribes with ``since``, and drops
replayed events it has already seen.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from locust import FastHttpUser, User, constant, task
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "Context",
    "KitchenSocketUser",
    "OrderDriverUser",
    "StaffUploadUser",
    "StorefrontUser",
    "Tenant",
    "reconnect_delay",
]

#: the first retry's ceiling and the largest, in seconds (as web/src/lib/offsets.ts)
RECONNECT_BASE = 1.0
RECONNECT_CAP = 15.0
#: closes that are routine (a restart or a deploy), not a failure of the socket
ROUTINE_CLOSES = frozenset({1001, 1012})


@dataclass
class Tenant:
    slug: str
    orderable: list[int] = field(default_factory=list)
    staff_token: str | None = None


@dataclass
class Context:
    """What the users need; one per run, set on the user classes."""

    frontdoor_id: str
    tenants: list[Tenant]
    image: bytes = b""
    # order id -> monotonic time its POST started; (order id, monotonic time)
    # of each order.created a kitchen socket received: matched after the run.
    orders_sent: dict[str, float] = field(default_factory=dict)
    deliveries: list[tuple[str, float]] = field(default_factory=list)
    sockets_opened: int = 0
    last_subscribed: float = 0.0
    # kitchen sockets: (monotonic time, close code or None when the connection
    # just died) of each loss; monotonic time of each reconnect attempt;
    # (monotonic time, recovered) of each resubscription with since
    closes: list[tuple[float, int | None]] = field(default_factory=list)
    reconnects: list[float] = field(default_factory=list)
    resumes: list[tuple[float, bool]] = field(default_factory=list)

    def headers(self, slug: str) -> dict[str, str]:
        return {"x-tenant-host": f"{slug}.localhost", "x-azure-fdid": self.frontdoor_id}

    def ordering(self) -> list[Tenant]:
        return [t for t in self.tenants if t.orderable]


def reconnect_delay(attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds before reconnect ``attempt`` (0 first): AWS "full jitter".

    Uniform in ``[0, min(RECONNECT_CAP, RECONNECT_BASE * 2**attempt)]``, with
    no floor, so that the sockets a replica lets go come back spread out.
    """
    return rng() * min(RECONNECT_CAP, RECONNECT_BASE * 2 ** min(max(attempt, 0), 16))


def _offset_key(offset: str) -> tuple[int, ...]:
    return tuple(int(part) for part in offset.split("-"))


def order_body(tenant: Tenant) -> dict[str, Any]:
    return {
        "items": [{"item_id": random.choice(tenant.orderable), "quantity": 1, "modifiers": []}],
        "customer": {"name": "Load Test"},
        "fulfillment": "pickup",
    }


class StorefrontUser(FastHttpUser):
    """A customer: menu reads across many tenants (ETag-aware), store info, orders.

    No think time: each user keeps one request in flight, so the number of
    users is the replica's concurrency, the HTTP rule's metric.
    """

    stelly: ClassVar[Context]
    wait_time = constant(0)

    def on_start(self) -> None:
        self.etags: dict[str, str] = {}

    @task(8)
    def menu(self) -> None:
        tenant = random.choice(self.stelly.tenants)
        headers = self.stelly.headers(tenant.slug)
        if random.random() < 0.3:  # a new visitor has no cached copy
            self.etags.pop(tenant.slug, None)
        if tenant.slug in self.etags:
            headers["if-none-match"] = self.etags[tenant.slug]
        with self.client.get(
            "/api/v1/store/menu",
            headers=headers,
            name="GET /api/v1/store/menu",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.etags[tenant.slug] = response.headers.get("etag", "")
                response.success()
            elif response.status_code == 304:
                response.success()
            else:
                response.failure(f"status {response.status_code}")

    @task(2)
    def store(self) -> None:
        tenant = random.choice(self.stelly.tenants)
        self.client.get(
            "/api/v1/store", headers=self.stelly.headers(tenant.slug), name="GET /api/v1/store"
        )

    @task(1)
    def order(self) -> None:
        tenant = random.choice(self.stelly.ordering())
        headers = self.stelly.headers(tenant.slug) | {"idempotency-key": uuid.uuid4().hex}
        with self.client.post(
            "/api/v1/store/orders",
            json=order_body(tenant),
            headers=headers,
            name="POST /api/v1/store/orders",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                response.success()
            else:
                response.failure(f"status {response.status_code}: {response.text[:200]}")


class StaffUploadUser(FastHttpUser):
    """A manager uploading dish photos and watching them become ready."""

    stelly: ClassVar[Context]
    wait_time = constant(0)

    def on_start(self) -> None:
        self.uploaded: list[tuple[str, str]] = []

    def _staff(self) -> Tenant:
        return random.choice([t for t in self.stelly.tenants if t.staff_token])

    @task(1)
    def upload(self) -> None:
        tenant = self._staff()
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="dish.png"\r\n'
                "Content-Type: image/png\r\n\r\n"
            ).encode()
            + self.stelly.image
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = self.stelly.headers(tenant.slug) | {
            "authorization": f"Bearer {tenant.staff_token}",
            "content-type": f"multipart/form-data; boundary={boundary}",
        }
        with self.client.post(
            "/api/v1/media/images",
            data=body,
            headers=headers,
            name="POST /api/v1/media/images",
            catch_response=True,
        ) as response:
            if response.status_code == 202:
                self.uploaded.append((tenant.slug, response.json()["id"]))
                response.success()
            else:
                response.failure(f"status {response.status_code}: {response.text[:200]}")

    @task(3)
    def status(self) -> None:
        if not self.uploaded:
            return self.upload()
        slug, image_id = random.choice(self.uploaded[-20:])
        self.client.get(
            f"/api/v1/media/images/{image_id}",
            headers=self.stelly.headers(slug),
            name="GET /api/v1/media/images/{id}",
        )
        return None


class KitchenSocketUser(User):
    """A kitchen screen: one WebSocket subscribed to ``kitchen``, timing each new order.

    When the socket closes it reconnects after :func:`reconnect_delay` and
    resumes from the last offset it saw; the backoff starts over once a
    subscription is served. A 1012 (or 1001) close is routine; any other
    loss is reported as a failure ("WS connection lost").
    """

    stelly: ClassVar[Context]
    host = ""
    realtime_url: ClassVar[str] = ""
    wait_time = constant(0)

    def _fire(self, name: str, started: float, exc: Exception | None = None) -> None:
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.monotonic() - started) * 1000,
            response_length=0,
            exception=exc,
            context={},
        )

    def on_start(self) -> None:
        tenants = [t for t in self.stelly.ordering() if t.staff_token]
        self.tenant = tenants[self.stelly.sockets_opened % len(tenants)]
        self.stelly.sockets_opened += 1
        self.socket: ClientConnection | None = None
        self.offset: str | None = None  # the last one seen: the next since
        self.attempt = 0  # reconnects since a subscription was last served
        self.retry_at = 0.0
        self._open("WS connect+subscribe kitchen")

    def _open(self, name: str) -> None:
        started = time.monotonic()
        since = self.offset
        try:
            socket = connect(
                self.realtime_url + "/ws/v1",
                additional_headers=self.stelly.headers(self.tenant.slug),
                compression=None,
                open_timeout=30,
            )
            try:
                command = {
                    "op": "subscribe",
                    "channel": "kitchen",
                    "token": self.tenant.staff_token,
                }
                if since is not None:
                    command["since"] = since
                socket.send(json.dumps(command))
                reply = json.loads(socket.recv(timeout=30))
                if reply.get("op") != "subscribed":
                    raise RuntimeError(f"subscribe refused: {reply}")
            except BaseException:
                socket.close()
                raise
        except Exception as exc:
            self._fire(name, started, exc)
            self._back_off()
            return
        self._fire(name, started)
        self.socket = socket
        self.attempt = 0
        recovered = reply.get("recovered") is True
        if since is None:
            self.stelly.last_subscribed = time.monotonic()
        else:
            self.stelly.resumes.append((time.monotonic(), recovered))
        if since is None or not recovered:
            # from the top: a real kitchen would refetch its orders over REST
            self.offset = str(reply.get("offset"))

    def _back_off(self) -> None:
        self.retry_at = time.monotonic() + reconnect_delay(self.attempt)
        self.attempt += 1

    @task
    def listen(self) -> None:
        if self.socket is None:
            wait = self.retry_at - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, 1.0))
                return
            self.stelly.reconnects.append(time.monotonic())
            self._open("WS reconnect+resume kitchen")
            return
        try:
            frame = json.loads(self.socket.recv(timeout=5))
        except TimeoutError:
            return
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            self.stelly.closes.append((time.monotonic(), code))
            if code in ROUTINE_CLOSES:
                self._fire(f"WS closed {code}", time.monotonic())
            else:
                self._fire("WS connection lost", time.monotonic(), exc)
            self.socket = None
            self._back_off()
            return
        if frame.get("op") != "event" or frame.get("channel") != "kitchen":
            return
        offset = str(frame.get("offset"))
        if self.offset is not None and _offset_key(offset) <= _offset_key(self.offset):
            return  # replayed after a resume: already seen
        self.offset = offset
        if frame.get("type") == "order.created":
            order_id = str(frame.get("data", {}).get("id", ""))
            self.stelly.deliveries.append((order_id, time.monotonic()))

    def on_stop(self) -> None:
        if self.socket is not None:
            self.socket.close()


class OrderDriverUser(FastHttpUser):
    """Places orders at a steady pace on the tenants the kitchen sockets watch."""

    stelly: ClassVar[Context]
    fixed_count = 1
    wait_time = constant(0.5)

    @task
    def order(self) -> None:
        tenant = random.choice(self.stelly.ordering())
        headers = self.stelly.headers(tenant.slug) | {"idempotency-key": uuid.uuid4().hex}
        started = time.monotonic()
        response = self.client.post(
            "/api/v1/store/orders",
            json=order_body(tenant),
            headers=headers,
            name="POST /api/v1/store/orders (driver)",
        )
        if response.status_code == 201:
            self.stelly.orders_sent[str(response.json()["id"])] = started
