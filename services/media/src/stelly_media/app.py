"""The media service's app factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Litestar
from stelly_core.settings import load_settings
from stelly_tenancy.plugin import TenancyPlugin

from stelly_media.controllers import ImageController
from stelly_media.runtime import MediaPlugin
from stelly_media.uploads import MULTIPART_OVERHEAD

if TYPE_CHECKING:
    from stelly_core.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the media API.

    Args:
        settings: the process settings; read from the environment when omitted.
    """
    settings = settings or load_settings()
    tenancy = TenancyPlugin(settings)
    return Litestar(
        route_handlers=[ImageController],
        plugins=[tenancy, MediaPlugin(tenancy.context)],
        # the body as a whole; the file's own limit is enforced while it streams
        request_max_body_size=settings.media_max_bytes + MULTIPART_OVERHEAD,
        openapi_config=None,
    )
