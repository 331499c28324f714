"""``/api/v1/media/images``: upload an image, read its status (SPEC §3).

The OpenAPI document lists every status and ``code`` each route can answer
(:data:`UPLOAD_PROBLEMS`, :data:`STATUS_PROBLEMS`, plus the tenancy and staff
problems of :mod:`stelly_core.openapi`); a code raised here and not listed
there is a contract bug that the contract tests catch.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

import anyio.to_thread
import msgspec
from azure.core.exceptions import AzureError
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from redis.exceptions import RedisError
from stelly_core.db import Database
from stelly_core.errors import ProblemError
from stelly_core.openapi import (
    STAFF_PROBLEMS,
    STAFF_SECURITY,
    TENANT_PROBLEMS,
    VALIDATION_PROBLEMS,
    problem_responses,
)
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
from stelly_media.openapi import MediaOperation, UploadOperation
from stelly_media.runtime import MediaRuntime
from stelly_media.storage import original_name
from stelly_media.uploads import receive_file

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["STATUS_PROBLEMS", "UPLOAD_PROBLEMS", "ImageAccepted", "ImageController"]

_log = logging.getLogger("stelly.media")

#: what an upload answers besides the tenancy, staff and validation problems
UPLOAD_PROBLEMS: Final[Mapping[int, tuple[str, ...]]] = {
    400: ("incomplete_body",),  # the client went away mid-body
    413: ("payload_too_large",),
    415: ("unsupported_image_type", "unsupported_media_type"),
    422: ("too_many_pixels", "truncated_image", "unreadable_image"),
    503: ("unavailable",),  # blob storage or the queue
}
#: what reading an image's status answers besides the tenancy problems
STATUS_PROBLEMS: Final[Mapping[int, tuple[str, ...]]] = {404: ("image_not_found",)}

ImageId = Annotated[
    str,
    PathParameter(
        format="uuid",
        description="The image id from the upload's answer; any other value is a 404.",
    ),
]


class ImageAccepted(msgspec.Struct, frozen=True):
    """An upload that was stored and queued for processing."""

    id: uuid.UUID
    status: Literal["processing"]


def _unavailable(what: str) -> ProblemError:
    return ProblemError(503, "unavailable", f"{what} is unavailable; try again shortly")


class ImageController(Controller):
    path = "/api/v1/media/images"

    @post(
        "/",
        guards=[staff_guard(MEDIA_EDITORS)],
        status_code=202,
        security=STAFF_SECURITY,
        operation_class=UploadOperation,
        operation_id="uploadImage",
        response_description="Stored and queued; poll the `Location` for its status.",
        responses=problem_responses(
            TENANT_PROBLEMS, STAFF_PROBLEMS, VALIDATION_PROBLEMS, UPLOAD_PROBLEMS
        ),
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        db: NamedDependency[Database],
        tenant: NamedDependency[Tenant],
        media: NamedDependency[MediaRuntime],
    ) -> Response[ImageAccepted]:
        """Upload an image (manager or owner); it is checked, stored and queued for its variants."""
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
            ImageAccepted(image_id, ImageStatus.PROCESSING.value),
            status_code=202,
            headers={"Location": f"{self.path}/{image_id}"},
        )

    @get(
        "/{image_id:str}",
        operation_id="getImage",
        operation_class=MediaOperation,
        responses=problem_responses(TENANT_PROBLEMS, STATUS_PROBLEMS),
    )
    async def status(
        self,
        image_id: ImageId,
        db: NamedDependency[Database],
        tenant: NamedDependency[Tenant],
        media: NamedDependency[MediaRuntime],
    ) -> ImageOut:
        """An image's processing status, dimensions and, once ready, its variants' URLs."""
        parsed = parse_image_id(image_id)
        row = None
        if parsed is not None:
            async with db.tenant(tenant.schema) as conn:
                row = await fetch_image(conn, parsed)
        if row is None:
            raise ProblemError(404, "image_not_found", "no such image in this store")
        return to_out(row, base_url=media.store.public_base_url, tenant_id=tenant.id)
