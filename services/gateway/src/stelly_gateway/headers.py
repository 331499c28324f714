"""What the edge does to headers: exactly what Front Door does in Azure.

The client's ``X-Tenant-Host``, ``X-Azure-FDID``, ``X-Azure-ClientIP``,
``X-Forwarded-*`` and ``X-Request-Id`` are dropped and written anew; hop-by-hop
headers never cross; the upstream gets its own ``Host``. The client's
``traceparent`` and ``tracestate`` are dropped too: the edge sends its own
trace context (:mod:`stelly_gateway.tracing`).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["HOP_BY_HOP", "upstream_request_headers", "upstream_response_headers"]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"proxy-connection",
    }
)
_EDGE_WRITTEN = frozenset(
    {
        b"host",
        b"x-tenant-host",
        b"x-azure-fdid",
        b"x-azure-clientip",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-request-id",
        b"forwarded",
        b"traceparent",
        b"tracestate",
    }
)
_WEBSOCKET_HANDSHAKE = frozenset(
    {
        b"sec-websocket-key",
        b"sec-websocket-version",
        b"sec-websocket-extensions",
        b"sec-websocket-protocol",
    }
)


def upstream_request_headers(
    client_headers: Iterable[tuple[bytes, bytes]],
    *,
    tenant_host: str,
    frontdoor_id: str | None,
    client_ip: str,
    scheme: str,
    request_id: str,
    websocket: bool = False,
) -> list[tuple[str, str]]:
    """The headers to send upstream for one client request.

    Args:
        client_headers: the client's raw headers.
        tenant_host: the host the client asked for (its ``Host``).
        frontdoor_id: written as ``X-Azure-FDID`` when configured.
        client_ip: the client's socket address.
        scheme: ``http`` or ``https`` as the client used.
        request_id: the id this edge gave the request.
        websocket: drop the handshake headers the WebSocket client makes anew.

    Returns:
        Header pairs, the client's first, the edge's last.
    """
    out: list[tuple[str, str]] = []
    for raw_name, raw_value in client_headers:
        name = raw_name.lower()
        if name in HOP_BY_HOP or name in _EDGE_WRITTEN:
            continue
        if websocket and name in _WEBSOCKET_HANDSHAKE:
            continue
        out.append((name.decode("latin-1"), raw_value.decode("latin-1")))
    out.append(("x-tenant-host", tenant_host))
    if frontdoor_id:
        out.append(("x-azure-fdid", frontdoor_id))
    out.append(("x-azure-clientip", client_ip))
    out.append(("x-forwarded-for", client_ip))
    out.append(("x-forwarded-proto", scheme))
    out.append(("x-forwarded-host", tenant_host))
    out.append(("x-request-id", request_id))
    return out


def upstream_response_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The upstream's response headers without hop-by-hop ones."""
    return [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
