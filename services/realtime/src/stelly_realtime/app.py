"""The realtime service's app factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Litestar
from stelly_core.settings import load_settings
from stelly_tenancy.plugin import TenancyPlugin

from stelly_realtime.config import RealtimeConfig
from stelly_realtime.plugin import RealtimePlugin
from stelly_realtime.service import RealtimeService

if TYPE_CHECKING:
    from stelly_core.settings import Settings

__all__ = ["create_app"]


def create_app(
    settings: Settings | None = None, *, config: RealtimeConfig | None = None
) -> Litestar:
    """Build the realtime app: tenancy, health, the hub and ``GET /ws/v1``.

    Args:
        settings: the process settings; read from the environment when omitted.
        config: the connection limits; the defaults when omitted.

    Returns:
        The Litestar app.
    """
    settings = settings or load_settings()
    tenancy = TenancyPlugin(settings)
    service = RealtimeService(config or RealtimeConfig(), settings.secret_key)
    return Litestar(plugins=[tenancy, RealtimePlugin(tenancy, service)])
