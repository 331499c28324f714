"""Only the console host reaches the platform API.

The platform service is not tenant-scoped: no tenant is resolved here.
Instead every request except the health probes must be for
``console.{base domain}``; any other host gets 404 ``not_found``, as if
nothing lived there (tenant hosts never reach this service through the
gateway or Front Door anyway). The host is read the way tenant hosts are
(SPEC §2): ``X-Tenant-Host`` from a trusted edge, else ``Host``, after the
same Front Door id gate (403 ``frontdoor_mismatch``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from stelly_core.errors import PROBLEM_JSON, problem_body
from stelly_tenancy.middleware import HEALTH_PATHS, judge_request

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import ASGIApp, Receive, Scope, Send
    from stelly_tenancy.hosts import EdgePolicy

__all__ = ["ConsoleHostMiddleware", "console_client_ip"]


def console_client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The client's address, from the trusted edge's header or the socket."""
    value: str | None = connection.scope["state"].get("client_ip")
    return value


class ConsoleHostMiddleware(ASGIMiddleware):
    """Refuse every request that is not for the console host."""

    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = HEALTH_PATHS

    def __init__(self, console_host: str, policy: EdgePolicy) -> None:
        self.console_host = console_host
        self.policy = policy

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        verdict = judge_request(self.policy, scope)
        if verdict.refused:
            await _refuse(send, 403, "frontdoor_mismatch", "not through our edge")
            return
        if verdict.host != self.console_host:
            await _refuse(send, 404, "not_found", "nothing here")
            return
        scope.setdefault("state", {})["client_ip"] = verdict.client_ip
        await next_app(scope, receive, send)


async def _refuse(send: Send, status: int, code: str, detail: str) -> None:
    body = problem_body(status, code, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
