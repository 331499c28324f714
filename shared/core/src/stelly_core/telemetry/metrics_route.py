"""``GET /metrics``: the process's metrics in the Prometheus text format.

Outside tenancy (any host, no tenant, like the health routes), left out of
the OpenAPI document, never traced or logged, and not routed by the
gateway (``infra/routing.json`` sends only ``/api``, ``/ws`` and static
paths to services). It shows whatever is registered in ``prometheus_client``'s
default registry: the OpenTelemetry meter provider's reader (every
instrument made with ``opentelemetry.metrics.get_meter``) and the HTTP
server metrics.
"""

from __future__ import annotations

from litestar import Response, Router, get
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

__all__ = ["METRICS_PATH", "metrics_router"]

METRICS_PATH = "/metrics"


def metrics_router() -> Router:
    """A router with ``GET /metrics``."""

    @get(METRICS_PATH, sync_to_thread=False, include_in_schema=False)
    def metrics() -> Response[bytes]:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Router(path="/", route_handlers=[metrics])
