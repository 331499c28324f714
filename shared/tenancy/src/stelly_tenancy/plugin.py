"""Wires the shared tenancy stack into a service's Litestar app.

One :class:`TenancyPlugin` per app: it opens the database pool and the Redis
client in the app's lifespan, starts the tenant-cache invalidation listener,
installs the tenancy middleware, the problem-details handlers and the health
routes, holds the process's drain state (``app.state["lifecycle"]``, which
``/readyz`` reports and :func:`stelly_core.serving.serve` drives), and provides ``settings``, ``db``, ``redis`` and ``tenant`` as
dependencies.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from litestar.di import Provide
from litestar.plugins import InitPluginProtocol
from litestar.types import Scope
from stelly_core.db import Database
from stelly_core.errors import exception_handlers
from stelly_core.health import health_router
from stelly_core.heap import settle_heap
from stelly_core.lifecycle import Lifecycle
from stelly_core.localstack import database_url, redis_url
from stelly_core.redis import connect_redis
from stelly_core.settings import Environment
from stelly_core.telemetry.plugin import TelemetryPlugin

from stelly_tenancy.hosts import EdgePolicy
from stelly_tenancy.invalidation import InvalidationListener
from stelly_tenancy.middleware import TenancyMiddleware
from stelly_tenancy.models import Tenant
from stelly_tenancy.resolution import TenantResolver

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

    from litestar import Litestar
    from litestar.config.app import AppConfig
    from redis.asyncio import Redis
    from stelly_core.settings import Settings


__all__ = ["ServiceContext", "TenancyPlugin"]


class ServiceContext:
    """The connections of one service process, opened in its lifespan."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        #: the drain state; services add their drain hooks to it
        self.lifecycle = Lifecycle.from_settings(settings)
        self._db: Database | None = None
        self._redis: Redis | None = None
        self._resolver: TenantResolver | None = None
        self._listener: InvalidationListener | None = None
        #: further readiness checks a service adds while its own parts are open
        self.extra_checks: dict[str, Callable[[], Awaitable[Any]]] = {}

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the service has not started")
        return self._db

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            raise RuntimeError("the service has not started")
        return self._redis

    @property
    def resolver(self) -> TenantResolver:
        if self._resolver is None:
            raise RuntimeError("the service has not started")
        return self._resolver

    @property
    def listener(self) -> InvalidationListener:
        if self._listener is None:
            raise RuntimeError("the service has not started")
        return self._listener

    async def start(self) -> None:
        """Open the pool and Redis, start listening for tenant changes."""
        self._db = await Database.connect(database_url(self.settings), self.settings)
        self._redis = connect_redis(redis_url(self.settings), self.settings.redis_auth)
        self._resolver = TenantResolver(
            self._db.pool, self.settings.base_domain, ttl=self.settings.tenant_cache_ttl
        )
        self._listener = InvalidationListener(self._redis, self._resolver.clear)
        self._listener.start()

    async def stop(self) -> None:
        """Close everything :meth:`start` opened."""
        if self._listener is not None:
            await self._listener.stop()
        if self._redis is not None:
            await self._redis.aclose()
        if self._db is not None:
            await self._db.close()

    def readiness_checks(self) -> Mapping[str, Callable[[], Awaitable[Any]]]:
        checks: dict[str, Callable[[], Awaitable[Any]]] = {}
        if self._db is not None:
            checks["database"] = self._db.ping
        if self._redis is not None:
            checks["redis"] = self._redis.ping
        if not checks:
            return {"startup": _not_started}
        return {**checks, **self.extra_checks}


async def _not_started() -> None:
    raise RuntimeError("not started")


class _LazyResolver:
    """The middleware is built before the lifespan opens the pool."""

    def __init__(self, context: ServiceContext) -> None:
        self._context = context

    @property
    def resolve(self) -> Callable[[str], Awaitable[Tenant | None]]:
        # the started resolver's own method: no extra coroutine on every request
        return self._context.resolver.resolve


class TenancyPlugin(InitPluginProtocol):
    """Everything a tenant-scoped Stelly service shares."""

    def __init__(self, settings: Settings) -> None:
        self.context = ServiceContext(settings)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        context = self.context
        settings = context.settings

        @contextlib.asynccontextmanager
        async def lifespan(_: Litestar) -> AsyncIterator[None]:
            await context.start()
            try:
                yield
            finally:
                await context.stop()

        policy = EdgePolicy(settings.frontdoor_id, settings.trusted_proxies)
        app_config.lifespan.append(lifespan)
        if settings.environment is not Environment.TEST:
            # Start-up hooks run after every lifespan, so the whole start-up
            # heap is frozen. Not in tests, which start many apps in one
            # process and should not keep each one's heap for good.
            app_config.on_startup.append(settle_heap)
        app_config.middleware.append(TenancyMiddleware(_LazyResolver(context), policy))  # type: ignore[arg-type]
        app_config.exception_handlers = {**exception_handlers(), **app_config.exception_handlers}
        lifecycle = context.lifecycle
        app_config.route_handlers.append(
            health_router(context.readiness_checks, lambda: lifecycle.draining)
        )
        # the server span, request line and /metrics of the process's telemetry
        TelemetryPlugin().on_app_init(app_config)
        app_config.state["context"] = context
        app_config.state["lifecycle"] = lifecycle

        def provide_tenant(scope: Scope) -> Tenant:
            tenant: Tenant = scope["state"]["tenant"]
            return tenant

        app_config.dependencies.update(
            {
                "settings": Provide(lambda: settings, sync_to_thread=False, use_cache=True),
                "db": Provide(lambda: context.db, sync_to_thread=False),
                "redis": Provide(lambda: context.redis, sync_to_thread=False),
                "tenant": Provide(provide_tenant, sync_to_thread=False),
            }
        )
        return app_config
