"""What one platform process holds: connections, hashing, limits, DNS, Front Door.

Built by the app factory and reachable from handlers as
``app.state["platform"]``. The connections are the shared
:class:`~stelly_tenancy.plugin.ServiceContext` (one pool, one Redis client,
the drain state, the readiness checks); :class:`PlatformPlugin` opens them in
the lifespan and wires the console-host gate, the problem-details handlers,
the health routes and the process's telemetry (``/metrics`` and the health
probes answer on any host), without the tenancy middleware: no tenant is
resolved on this service's routes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from litestar.plugins import InitPluginProtocol
from stelly_core.auth import PasswordHashing
from stelly_core.errors import exception_handlers
from stelly_core.health import health_router
from stelly_core.heap import settle_heap
from stelly_core.ratelimit import RateLimiter
from stelly_core.settings import Environment
from stelly_core.telemetry.plugin import TelemetryPlugin
from stelly_tenancy.hosts import EdgePolicy
from stelly_tenancy.plugin import ServiceContext

from stelly_platform.console import ConsoleHostMiddleware
from stelly_platform.domain.domains.dns import DnsTxtResolver
from stelly_platform.domain.domains.frontdoor import AzureFrontDoor

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Litestar
    from litestar.config.app import AppConfig
    from litestar.connection import ASGIConnection
    from redis.asyncio import Redis
    from stelly_core.db import Database
    from stelly_core.settings import Settings

    from stelly_platform.config import PlatformConfig
    from stelly_platform.domain.domains.dns import TxtResolver
    from stelly_platform.domain.domains.frontdoor import FrontDoorDomains

__all__ = ["PlatformPlugin", "PlatformRuntime", "runtime_of"]


class PlatformRuntime:
    """The connections and helpers of one platform process."""

    def __init__(
        self,
        settings: Settings,
        config: PlatformConfig,
        *,
        dns: TxtResolver | None = None,
        frontdoor: FrontDoorDomains | None = None,
        hasher: PasswordHashing | None = None,
    ) -> None:
        self.context = ServiceContext(settings)
        self.config = config
        self.hasher = hasher or PasswordHashing()
        self.dns: TxtResolver = dns or DnsTxtResolver()
        if frontdoor is None and config.frontdoor is not None:
            frontdoor = AzureFrontDoor(config.frontdoor)
        #: ``None`` outside Azure: domains then serve once their TXT record is proven
        self.frontdoor = frontdoor
        self._limiter: RateLimiter | None = None
        self._reattach: asyncio.Task[None] | None = None

    @property
    def settings(self) -> Settings:
        return self.context.settings

    @property
    def db(self) -> Database:
        return self.context.db

    @property
    def redis(self) -> Redis:
        return self.context.redis

    @property
    def limiter(self) -> RateLimiter:
        if self._limiter is None:
            raise RuntimeError("the service has not started")
        return self._limiter

    async def start(self) -> None:
        await self.context.start()
        self._limiter = RateLimiter(self.context.redis)
        if self.frontdoor is not None:
            # a deployment rewrote the routes' domain lists: put the verified ones back
            from stelly_platform.domain.domains.reattach import reattach_until_done

            self._reattach = asyncio.create_task(
                reattach_until_done(self), name="frontdoor-reattach"
            )

    async def stop(self) -> None:
        if self._reattach is not None:
            self._reattach.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reattach
            self._reattach = None
        if self.frontdoor is not None:
            await self.frontdoor.close()
        await self.context.stop()


def runtime_of(request: ASGIConnection[Any, Any, Any, Any]) -> PlatformRuntime:
    """The runtime of the app serving ``request``."""
    runtime: PlatformRuntime = request.app.state["platform"]
    return runtime


class PlatformPlugin(InitPluginProtocol):
    """Connections in the lifespan, the console-host gate, errors and health routes."""

    def __init__(self, runtime: PlatformRuntime) -> None:
        self.runtime = runtime

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        runtime = self.runtime
        settings = runtime.settings

        @contextlib.asynccontextmanager
        async def lifespan(_: Litestar) -> AsyncIterator[None]:
            await runtime.start()
            try:
                yield
            finally:
                await runtime.stop()

        app_config.lifespan.append(lifespan)
        if settings.environment is not Environment.TEST:
            app_config.on_startup.append(settle_heap)
        policy = EdgePolicy(settings.frontdoor_id, settings.trusted_proxies)
        app_config.middleware.append(ConsoleHostMiddleware(runtime.config.console_host, policy))
        app_config.exception_handlers = {**exception_handlers(), **app_config.exception_handlers}
        lifecycle = runtime.context.lifecycle
        app_config.route_handlers.append(
            health_router(runtime.context.readiness_checks, lambda: lifecycle.draining)
        )
        # the server span, request line and /metrics of the process's telemetry
        TelemetryPlugin().on_app_init(app_config)
        app_config.state["platform"] = runtime
        app_config.state["context"] = runtime.context
        app_config.state["lifecycle"] = lifecycle
        return app_config
