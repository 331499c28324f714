"""The gateway's ASGI app: route, rewrite edge headers, proxy, log.

A plain ASGI app rather than a Litestar one: it only forwards bytes, and
every framework layer would sit between the client and the service on every
request (docs/decisions.md).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import aiohttp
from stelly_core.asgi import first_headers

from stelly_gateway.headers import upstream_request_headers
from stelly_gateway.proxy import proxy_http, proxy_websocket
from stelly_gateway.routing import load_routing_table
from stelly_gateway.settings import load_gateway_settings
from stelly_gateway.static import serve_static

if TYPE_CHECKING:
    from stelly_gateway.asgi import Receive, Scope, Send
    from stelly_gateway.routing import RoutingTable
    from stelly_gateway.settings import GatewaySettings

__all__ = ["Gateway", "create_app"]

_access = logging.getLogger("stelly.gateway.access")


class Gateway:
    """The edge in front of menu, realtime and media."""

    def __init__(self, settings: GatewaySettings, table: RoutingTable) -> None:
        self.settings = settings
        self.table = table
        self.session: aiohttp.ClientSession | None = None

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
        route = self.table.match(path)
        if route is None or route.origin in self.table.static_origins:
            if scope["type"] != "http":
                await send({"type": "websocket.close", "code": 1008, "reason": "not_found"})
                return 404
            return await serve_static(self.settings.web_dist, path, host, send)
        upstream = self.settings.upstreams.get(route.origin) or self.table.origin_urls[route.origin]
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
        if scope["type"] == "websocket":
            return await proxy_websocket(
                upstream, scope, receive, send, headers, self.settings.connect_timeout
            )
        assert self.session is not None, "the gateway's lifespan has not started"
        return await proxy_http(self.session, upstream, scope, receive, send, headers, request_id)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.session = aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=300),
                    timeout=aiohttp.ClientTimeout(
                        total=None,
                        connect=self.settings.connect_timeout,
                        sock_read=self.settings.read_timeout,
                    ),
                    auto_decompress=False,
                    cookie_jar=aiohttp.DummyCookieJar(),
                    trust_env=False,
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
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
    table = table or load_routing_table(overrides=settings.upstreams)
    return Gateway(settings, table)
