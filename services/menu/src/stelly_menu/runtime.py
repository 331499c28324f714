"""What one menu process holds besides the shared connections.

Built by the app factory, started after the tenancy plugin has opened the
database and Redis, and reachable from handlers as ``app.state["menu"]``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from litestar.plugins import InitPluginProtocol
from stelly_core.auth import PasswordHashing
from stelly_core.events import OutboxRelay
from stelly_core.ratelimit import RateLimiter

from stelly_menu.domain.menu.cache import MenuCache
from stelly_menu.domain.menu.listener import MenuEventListener

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Litestar
    from litestar.config.app import AppConfig
    from litestar.connection import ASGIConnection
    from stelly_core.db import Database
    from stelly_core.settings import Settings
    from stelly_tenancy.plugin import ServiceContext

__all__ = ["MenuPlugin", "MenuRuntime", "runtime_of"]


class MenuRuntime:
    """The menu cache, rate limiter, password hashing and outbox relay of a process."""

    def __init__(self, context: ServiceContext, *, relay: bool = True) -> None:
        self.context = context
        self.hasher = PasswordHashing()
        self._run_relay = relay
        self._cache: MenuCache | None = None
        self._limiter: RateLimiter | None = None
        self.relay: OutboxRelay | None = None
        self.listener: MenuEventListener | None = None

    @property
    def settings(self) -> Settings:
        return self.context.settings

    @property
    def db(self) -> Database:
        return self.context.db

    @property
    def cache(self) -> MenuCache:
        if self._cache is None:
            raise RuntimeError("the service has not started")
        return self._cache

    @property
    def limiter(self) -> RateLimiter:
        if self._limiter is None:
            raise RuntimeError("the service has not started")
        return self._limiter

    async def start(self) -> None:
        """Build what needs the open connections; start the relay and the menu listener."""
        self._cache = MenuCache(self.context.redis)
        self._limiter = RateLimiter(self.context.redis)
        self.listener = MenuEventListener(self.context.redis, self._cache)
        self.listener.start()
        if self._run_relay:
            self.relay = OutboxRelay(self.context.db, self.context.redis)
            self.relay.start()

    async def stop(self) -> None:
        """Stop the relay; events not yet relayed stay in the outbox."""
        if self.relay is not None:
            await self.relay.stop()
            self.relay = None
        if self.listener is not None:
            await self.listener.stop()
            self.listener = None


def runtime_of(request: ASGIConnection[Any, Any, Any, Any]) -> MenuRuntime:
    """The runtime of the app serving ``request``."""
    runtime: MenuRuntime = request.app.state["menu"]
    return runtime


class MenuPlugin(InitPluginProtocol):
    """Starts the runtime inside the connections' lifespan (list it after TenancyPlugin)."""

    def __init__(self, runtime: MenuRuntime) -> None:
        self.runtime = runtime

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        runtime = self.runtime

        @contextlib.asynccontextmanager
        async def lifespan(_: Litestar) -> AsyncIterator[None]:
            await runtime.start()
            try:
                yield
            finally:
                await runtime.stop()

        app_config.lifespan.append(lifespan)
        app_config.state["menu"] = runtime
        return app_config
