"""Wires the realtime service into an app that already has the tenancy plugin.

The service watches the tenancy plugin's invalidation listener for staff
revocations, so that a disabled user's subscriptions end at once.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from litestar.plugins import InitPluginProtocol

from stelly_realtime.routes import realtime_socket

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Litestar
    from litestar.config.app import AppConfig
    from stelly_tenancy.plugin import TenancyPlugin

    from stelly_realtime.service import RealtimeService

__all__ = ["RealtimePlugin"]


class RealtimePlugin(InitPluginProtocol):
    """``/ws/v1``, the hub's lifespan and the spread close on drain; list it after :class:`TenancyPlugin`.

    Args:
        tenancy: the app's tenancy plugin, whose Redis client the hub uses.
        service: the realtime service.
    """

    def __init__(self, tenancy: TenancyPlugin, service: RealtimeService) -> None:
        self.tenancy = tenancy
        self.service = service

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        service, context = self.service, self.tenancy.context

        @contextlib.asynccontextmanager
        async def lifespan(_: Litestar) -> AsyncIterator[None]:
            # appended after the tenancy lifespan, so Redis is open here
            await service.start(
                context.redis, context.resolver, context.settings.base_domain, context.db
            )
            # staff revocations arrive on the tenancy listener's channel
            unwatch = context.listener.watch_staff(service.end_staff, service.recheck_staff)
            try:
                yield
            finally:
                unwatch()
                await service.stop()

        app_config.lifespan.append(lifespan)
        # after the drain delay: 1012 to every socket, spread over the close window,
        # so that clients do not all reconnect (to the other replicas) at once
        context.lifecycle.on_drain(lambda: service.close_spread(service.config.close_window))
        app_config.route_handlers.append(realtime_socket)
        app_config.state["realtime"] = service
        return app_config
