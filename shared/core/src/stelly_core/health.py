"""``/healthz`` (the process is alive) and ``/readyz`` (it should get traffic).

``/healthz`` stays 200 for as long as the process runs, draining included: a
liveness probe must never kill a replica that is finishing its work.
``/readyz`` answers 503 ``draining`` from the first SIGTERM on (before any
dependency is asked), else 503 ``not_ready`` naming the dependencies that
did not answer within 2 s.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from litestar import Router, get
from litestar.response import Response

from stelly_core.errors import PROBLEM_JSON, problem_body

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

__all__ = ["health_router"]


def health_router(
    checks: Callable[[], Mapping[str, Callable[[], Awaitable[Any]]]],
    draining: Callable[[], bool] = lambda: False,
) -> Router:
    """The health routes, outside any tenant.

    Args:
        checks: returns the named readiness checks (each raises when not ready);
            called per request so that it sees the app's current connections.
        draining: whether the process is draining (then ``/readyz`` is 503).

    Returns:
        A router with ``GET /healthz`` and ``GET /readyz``.
    """

    @get("/healthz", sync_to_thread=False, include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", include_in_schema=False)
    async def readyz() -> Response[Any]:
        if draining():
            return Response(
                problem_body(503, "draining", "this replica is shutting down"),
                status_code=503,
                media_type=PROBLEM_JSON,
            )
        failed: list[str] = []
        for name, check in checks().items():
            try:
                await asyncio.wait_for(check(), timeout=2.0)
            except Exception:
                failed.append(name)
        if failed:
            return Response(
                problem_body(503, "not_ready", "unreachable: " + ", ".join(failed)),
                status_code=503,
                media_type=PROBLEM_JSON,
            )
        return Response({"status": "ready"})

    return Router(path="/", route_handlers=[healthz, readyz])
