"""The Litestar middleware that puts the resolved tenant on every connection.

HTTP and WebSocket scopes alike: the Front Door gate, the trusted-edge
headers, resolution, and the 403/404 refusals as problem details (503 with
``Retry-After`` when the registry cannot be read) (a refused
WebSocket handshake gets the same problem as an HTTP denial response where
the server supports it, else a policy-violation close). Health routes are
excluded by path.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from stelly_core.asgi import first_headers
from stelly_core.errors import PROBLEM_JSON, RETRY_AFTER_SECONDS, is_unavailable, problem_body
from stelly_core.telemetry.context import set_tenant

from stelly_tenancy.hosts import judge_edge

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import (
        ASGIApp,
        HTTPResponseStartEvent,
        Receive,
        Scope,
        Send,
        WebSocketResponseStartEvent,
    )

    from stelly_tenancy.hosts import EdgePolicy, EdgeVerdict
    from stelly_tenancy.models import Tenant
    from stelly_tenancy.resolution import TenantResolver

__all__ = [
    "HEALTH_PATHS",
    "TenancyMiddleware",
    "client_ip",
    "current_tenant",
    "judge_request",
    "tenant_host",
]

#: Probes and the metrics scrape: outside tenancy, answered on any host.
HEALTH_PATHS = ("^/healthz$", "^/readyz$", "^/metrics$")
#: The same paths for an exact comparison (each pattern above is ``^path$``).
_EXCLUDED_PATHS = frozenset(pattern.strip("^$") for pattern in HEALTH_PATHS)
if any(re.escape(path) != path for path in _EXCLUDED_PATHS):  # pragma: no cover
    raise RuntimeError("HEALTH_PATHS must be exact paths (^path$) for TenancyMiddleware")
_log = logging.getLogger("stelly.tenancy")
WS_POLICY_VIOLATION = 1008


def current_tenant(connection: ASGIConnection[Any, Any, Any, Any]) -> Tenant:
    """The tenant the middleware resolved for this request or socket."""
    tenant: Tenant = connection.scope["state"]["tenant"]
    return tenant


def tenant_host(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The normalised host the tenant was resolved from (no port)."""
    return str(connection.scope["state"]["tenant_host"])


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The client address, from the trusted edge's header or the socket."""
    value: str | None = connection.scope["state"].get("client_ip")
    return value


def judge_request(policy: EdgePolicy, scope: Scope) -> EdgeVerdict:
    """The edge's verdict on one request or handshake: its host headers and its peer.

    The one reading of ``Host``, ``X-Tenant-Host``, ``X-Azure-FDID`` and
    ``X-Azure-ClientIP`` for every service that judges hosts (the tenant
    services here, the platform console's host check).
    """
    peer = scope.get("client")
    host, edge_host, fdid, azure_client_ip = first_headers(
        scope, b"host", b"x-tenant-host", b"x-azure-fdid", b"x-azure-clientip"
    )
    return judge_edge(
        policy,
        host=host,
        tenant_host=edge_host,
        fdid=fdid,
        azure_client_ip=azure_client_ip,
        peer_ip=peer[0] if peer else None,
    )


class TenancyMiddleware(ASGIMiddleware):
    """Resolve the tenant of every HTTP request and WebSocket handshake."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)
    exclude_path_pattern = HEALTH_PATHS

    def __init__(self, resolver: TenantResolver, policy: EdgePolicy) -> None:
        self.resolver = resolver
        self.policy = policy

    def __call__(self, app: ASGIApp) -> ASGIApp:
        """The middleware around one route's app: :meth:`handle` unless the path is a probe.

        Litestar's generic wrapper would search ``exclude_path_pattern`` with a
        regular expression on every request; the probe paths are exact, so a
        set lookup decides the same. Route middleware only ever sees HTTP and
        WebSocket scopes (the ``scopes`` above).
        """
        handle = self.handle

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["path"] in _EXCLUDED_PATHS:
                await app(scope, receive, send)
            else:
                await handle(scope, receive, send, app)

        return middleware

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        verdict = judge_request(self.policy, scope)
        if verdict.refused:
            await _refuse(scope, receive, send, 403, "frontdoor_mismatch", "not through our edge")
            return
        if verdict.host is None:
            await _refuse(scope, receive, send, 400, "invalid_host", "the host is not valid")
            return
        try:
            tenant = await self.resolver.resolve(verdict.host)
        except Exception as exc:
            # a fault of ours or of the registry, never of the client: always
            # a retryable 503, with a traceback when it is not a plain outage
            if is_unavailable(exc):
                _log.warning(
                    "tenant resolution failed for %s: %s: %s", verdict.host, type(exc).__name__, exc
                )
            else:
                _log.exception("tenant resolution failed for %s", verdict.host)
            await _refuse(
                scope,
                receive,
                send,
                503,
                "unavailable",
                "try again shortly",
                headers=[(b"retry-after", str(RETRY_AFTER_SECONDS).encode())],
            )
            return
        if tenant is None:
            await _refuse(scope, receive, send, 404, "tenant_not_found", "no store at this address")
            return
        if not tenant.active:
            await _refuse(scope, receive, send, 403, "tenant_suspended", "this store is suspended")
            return
        state = scope.setdefault("state", {})
        state["tenant"] = tenant
        state["client_ip"] = verdict.client_ip
        state["tenant_host"] = verdict.host
        set_tenant(tenant.slug)  # for the spans and log lines of this request
        await next_app(scope, receive, send)


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    code: str,
    detail: str,
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = problem_body(status, code, detail)
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    if scope["type"] == ScopeType.HTTP:
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": status,
            "headers": headers,
        }
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return
    message = await receive()  # websocket.connect
    if message["type"] != "websocket.connect":
        return
    if "websocket.http.response" in (scope.get("extensions") or {}):
        ws_start: WebSocketResponseStartEvent = {
            "type": "websocket.http.response.start",
            "status": status,
            "headers": headers,
        }
        await send(ws_start)
        await send({"type": "websocket.http.response.body", "body": body, "more_body": False})
    else:
        await send({"type": "websocket.close", "code": WS_POLICY_VIOLATION, "reason": code})
