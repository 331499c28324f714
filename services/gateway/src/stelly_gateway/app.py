"""The gateway's ASGI app: route, rewrite edge headers, balance, proxy, log.

A plain ASGI app rather than a Litestar one: it only forwards bytes, and
every framework layer would sit between the client and the service on every
request (docs/decisions.md).

Invariants: each proxied origin has a replica list (``infra/routing.json``'s
local URL, replaced by ``STELLY_*_URL``, replaced at run time by
``STELLY_UPSTREAMS_FILE`` for the origins it names); the lifespan owns the
one HTTP client session and the one health-check task, and stops the task
before it closes the session. Each proxied request is one span of the edge,
and the upstream gets its trace context (:mod:`stelly_gateway.tracing`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import aiohttp
from stelly_core.asgi import first_headers

from stelly_gateway.headers import upstream_request_headers
from stelly_gateway.health import HealthMonitor
from stelly_gateway.proxy import proxy_http, send_unavailable
from stelly_gateway.replicas import Upstreams
from stelly_gateway.routing import load_routing_table
from stelly_gateway.settings import load_gateway_settings
from stelly_gateway.static import serve_static
from stelly_gateway.tracing import EdgeTracer, untraced_context
from stelly_gateway.upstreams_file import UpstreamsFile
from stelly_gateway.websocket import proxy_websocket

if TYPE_CHECKING:
    from stelly_gateway.asgi import Receive, Scope, Send
    from stelly_gateway.replicas import Origin
    from stelly_gateway.routing import RoutingTable
    from stelly_gateway.settings import GatewaySettings

__all__ = ["Gateway", "create_app"]

_access = logging.getLogger("stelly.gateway.access")
_UPSTREAM_KEEPALIVE = 4.0


class Gateway:
    """The edge in front of menu, realtime and media."""

    def __init__(self, settings: GatewaySettings, table: RoutingTable) -> None:
        self.settings = settings
        self.table = table
        self.session: aiohttp.ClientSession | None = None
        self.upstreams = Upstreams(table.health_paths)
        for origin, url in table.origin_urls.items():
            self.upstreams.set_urls(origin, settings.upstreams.get(origin) or (url,), trusted=True)
        self.upstreams_file = (
            UpstreamsFile(settings.upstreams_file, self.upstreams)
            if settings.upstreams_file is not None
            else None
        )
        self._health: asyncio.Task[None] | None = None
        self.tracer = EdgeTracer(settings.trace_sample_ratio)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        path = scope["path"]
        [host_header] = first_headers(scope, b"host")
        host = host_header or ""
        client = scope.get("client")
        client_ip = client[0] if client else "0.0.0.0"
        status = await self._dispatch(scope, receive, send, path, host, client_ip, request_id)
        _access.info(
            '%s %s "%s %s" %s %.1fms id=%s',
            client_ip,
            host or "-",
            scope.get("method", "WS"),
            path,
            status,
            (time.perf_counter() - started) * 1000,
            request_id,
        )

    async def _dispatch(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        path: str,
        host: str,
        client_ip: str,
        request_id: str,
    ) -> int:
        if scope["type"] == "http" and path == "/healthz":
            await _json(send, 200, b'{"status":"ok"}')
            return 200
        route = self.table.match(path, host)
        if route is None or route.origin in self.table.static_origins:
            if scope["type"] != "http":
                await send({"type": "websocket.close", "code": 1008, "reason": "not_found"})
                return 404
            return await serve_static(self.settings.web_dist, path, host, send)
        origin = self.upstreams.get(route.origin)
        tenant_host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        headers = upstream_request_headers(
            scope["headers"],
            tenant_host=tenant_host,
            frontdoor_id=self.settings.frontdoor_id,
            client_ip=client_ip,
            scheme="https" if scope.get("scheme") in ("https", "wss") else "http",
            request_id=request_id,
            websocket=scope["type"] == "websocket",
        )
        # the request's span, current while it is proxied; the upstream gets its context
        edge = self.tracer.start(scope, route, request_id)
        headers.extend(edge.headers)
        status = 500
        try:
            status = await self._proxy(scope, receive, send, origin, headers, request_id)
        finally:
            edge.finish(status)
        return status

    async def _proxy(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        origin: Origin | None,
        headers: list[tuple[str, str]],
        request_id: str,
    ) -> int:
        if scope["type"] == "websocket":
            if origin is None:
                await send({"type": "websocket.close", "code": 1013, "reason": ""})
                return 503
            return await proxy_websocket(
                origin, scope, receive, send, headers, self.settings.connect_timeout
            )
        if origin is None:
            return await send_unavailable(send, request_id)
        assert self.session is not None, "the gateway's lifespan has not started"
        return await proxy_http(self.session, origin, scope, receive, send, headers, request_id)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(
                        limit=0,
                        limit_per_host=0,
                        ttl_dns_cache=300,
                        # below uvicorn's 5 s: never reuse a connection the replica is closing
                        keepalive_timeout=_UPSTREAM_KEEPALIVE,
                    ),
                    timeout=aiohttp.ClientTimeout(
                        total=None,
                        connect=self.settings.connect_timeout,
                        sock_read=self.settings.read_timeout,
                    ),
                    auto_decompress=False,
                    cookie_jar=aiohttp.DummyCookieJar(),
                    trust_env=False,
                )
                if self.upstreams_file is not None:
                    self.upstreams_file.refresh(trusted=True)
                monitor = HealthMonitor(
                    self.upstreams,
                    self.session,
                    interval=self.settings.health_interval,
                    timeout=self.settings.health_timeout,
                    upstreams_file=self.upstreams_file,
                )
                self._health = asyncio.create_task(
                    monitor.run(), name="gateway-health", context=untraced_context()
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._health is not None:
                    self._health.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._health
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def create_app(settings: GatewaySettings | None = None, table: RoutingTable | None = None) -> Any:
    """Build the gateway (``uvicorn --factory stelly_gateway.app:create_app``)."""
    settings = settings or load_gateway_settings()
    table = table or load_routing_table()
    return Gateway(settings, table)
