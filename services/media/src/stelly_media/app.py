"""The media service's app factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from litestar import Litestar
from stelly_core.contract import contract_hooks
from stelly_core.openapi import exact_struct_schemas, openapi_config
from stelly_core.settings import load_settings
from stelly_tenancy.plugin import TenancyPlugin

from stelly_media.controllers import ImageController
from stelly_media.runtime import MediaPlugin
from stelly_media.uploads import MULTIPART_OVERHEAD

if TYPE_CHECKING:
    from stelly_core.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the media API; its OpenAPI document is served at ``/schema/openapi.json``.

    Args:
        settings: the process settings; read from the environment when omitted.
    """
    settings = settings or load_settings()
    tenancy = TenancyPlugin(settings)
    app = Litestar(
        route_handlers=[ImageController],
        plugins=[tenancy, MediaPlugin(tenancy.context)],
        # the body as a whole; the file's own limit is enforced while it streams
        request_max_body_size=settings.media_max_bytes + MULTIPART_OVERHEAD,
        openapi_config=openapi_config(
            "Stelly media",
            "1.0.0",
            description="Image uploads and their processing status (SPEC §3, Media).",
        ),
        **contract_hooks(),
    )
    exact_struct_schemas(app)
    return app
