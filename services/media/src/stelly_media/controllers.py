"""``/api/v1/media/images``: upload an image, read its status (SPEC §3)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import anyio.to_thread
import msgspec
from azure.core.exceptions import AzureError
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from redis.exceptions import RedisError
from stelly_core.db import Database
from stelly_core.errors import ProblemError
from stelly_core.settings import Settings
from stelly_tenancy.models import Tenant

from stelly_media.guards import MEDIA_EDITORS, staff_guard, staff_id
from stelly_media.images import (
    ImageOut,
    ImageStatus,
    fetch_image,
    insert_image,
    mark_failed,
    parse_image_id,
    to_out,
)
from stelly_media.inspection import inspect_upload
from stelly_media.jobs import ImageJob
from stelly_media.runtime import MediaRuntime
from stelly_media.storage import original_name
from stelly_media.uploads import receive_file

__all__ = ["ImageAccepted", "ImageController"]

_log = logging.getLogger("stelly.media")


class ImageAccepted(msgspec.Struct, frozen=True):
    id: str
    status: ImageStatus


def _unavailable(what: str) -> ProblemError:
    return ProblemError(503, "unavailable", f"{what} is unavailable; try again shortly")


class ImageController(Controller):
    path = "/api/v1/media/images"

    @post("/", guards=[staff_guard(MEDIA_EDITORS)], status_code=202)
    async def upload(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        db: NamedDependency[Database],
        tenant: NamedDependency[Tenant],
        media: NamedDependency[MediaRuntime],
    ) -> Response[ImageAccepted]:
        received = await receive_file(request, max_bytes=settings.media_max_bytes)
        image_id = uuid.uuid4()
        try:
            header = await anyio.to_thread.run_sync(
                lambda: inspect_upload(received.path, max_pixels=settings.media_max_pixels)
            )
            try:
                await media.store.put_original(
                    original_name(tenant.id, image_id),
                    received.path,
                    content_type=header.format.content_type,
                )
            except AzureError as exc:
                _log.warning("storing an original failed: %s", exc)
                raise _unavailable("image storage") from None
        finally:
            received.path.unlink(missing_ok=True)
        async with db.tenant(tenant.schema) as conn:
            await insert_image(conn, image_id, header, received.size, staff_id(request))
        try:
            await media.queue.enqueue(ImageJob(tenant_id=tenant.id, image_id=image_id))
        except (RedisError, AzureError, OSError) as exc:
            _log.warning("queueing image %s failed: %s", image_id, exc)
            async with db.tenant(tenant.schema) as conn:
                await mark_failed(conn, image_id, "could not be queued")
            raise _unavailable("the image queue") from None
        return Response(
            ImageAccepted(str(image_id), ImageStatus.PROCESSING),
            status_code=202,
            headers={"Location": f"{self.path}/{image_id}"},
        )

    @get("/{image_id:str}")
    async def status(
        self,
        image_id: FromPath[str],
        db: NamedDependency[Database],
        tenant: NamedDependency[Tenant],
        media: NamedDependency[MediaRuntime],
    ) -> ImageOut:
        parsed = parse_image_id(image_id)
        row = None
        if parsed is not None:
            async with db.tenant(tenant.schema) as conn:
                row = await fetch_image(conn, parsed)
        if row is None:
            raise ProblemError(404, "image_not_found", "no such image in this store")
        return to_out(row, base_url=media.store.public_base_url, tenant_id=tenant.id)
