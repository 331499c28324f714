"""The ``images`` table of a tenant schema, and the image as the API shows it.

Status moves ``processing -> ready`` or ``processing -> failed``, once: the
worker's updates are conditional on ``processing``, which is what makes a job
delivered twice take effect once.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import msgspec

from stelly_media.storage import variant_name

if TYPE_CHECKING:
    import asyncpg
    from stelly_core.db import DbConnection

    from stelly_media.formats import ImageHeader

__all__ = [
    "ImageOut",
    "ImageStatus",
    "fetch_image",
    "insert_image",
    "mark_failed",
    "mark_ready",
    "parse_image_id",
    "to_out",
]


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class ImageStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


#: a dimension as displayed (EXIF orientation applied); the table keeps it positive
Pixels = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
#: variant width (``"320"``, ``"640"``, ``"1280"``) to its public URL
Variants = Annotated[
    dict[str, str],
    msgspec.Meta(
        description='The WebP variants\' public URLs keyed by nominal width ("320", "640",'
        ' "1280"); empty until the image is ready, and for a failed image.'
    ),
]


class ImageOut(msgspec.Struct, frozen=True):
    """An uploaded image and its processing status (SPEC §3)."""

    id: uuid.UUID
    status: ImageStatus
    width: Pixels
    height: Pixels
    variants: Variants


def parse_image_id(value: str) -> uuid.UUID | None:
    """The image id in a path, or ``None`` when it is not one.

    Only the hyphenated form (``format: uuid``) is one: ``uuid.UUID`` would
    also take braces, a ``urn:uuid:`` prefix or bare hex, which the API
    document does not allow.
    """
    if _UUID.fullmatch(value) is None:
        return None
    return uuid.UUID(value)


async def insert_image(
    conn: DbConnection, image_id: uuid.UUID, header: ImageHeader, byte_size: int, uploaded_by: int
) -> None:
    await conn.execute(
        "INSERT INTO images (id, format, width, height, byte_size, uploaded_by)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        image_id,
        header.format.value,
        header.width,
        header.height,
        byte_size,
        str(uploaded_by),
    )


async def fetch_image(conn: DbConnection, image_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, status, format, width, height, variants FROM images WHERE id = $1", image_id
    )


async def mark_ready(conn: DbConnection, image_id: uuid.UUID, variants: dict[str, int]) -> bool:
    """Mark a processing image ready; ``False`` when it was not processing."""
    row = await conn.fetchval(
        "UPDATE images SET status = 'ready', variants = $2::jsonb, updated_at = now()"
        " WHERE id = $1 AND status = 'processing' RETURNING 1",
        image_id,
        msgspec.json.encode(variants).decode(),
    )
    return row is not None


async def mark_failed(conn: DbConnection, image_id: uuid.UUID, reason: str) -> bool:
    """Mark a processing image failed; ``False`` when it was not processing."""
    row = await conn.fetchval(
        "UPDATE images SET status = 'failed', failure = $2, updated_at = now()"
        " WHERE id = $1 AND status = 'processing' RETURNING 1",
        image_id,
        reason[:1000],
    )
    return row is not None


def variant_urls(
    base_url: str, tenant_id: int, image_id: uuid.UUID, names: list[str]
) -> dict[str, str]:
    """Public URLs of the variants, keyed by name (``"320"``...)."""
    return {
        name: f"{base_url}/{variant_name(tenant_id, image_id, int(name))}"
        for name in sorted(names, key=int)
    }


def to_out(row: asyncpg.Record, *, base_url: str, tenant_id: int) -> ImageOut:
    variants = row["variants"]
    if isinstance(variants, str):
        variants = msgspec.json.decode(variants)
    status = ImageStatus(row["status"])
    urls = (
        variant_urls(base_url, tenant_id, row["id"], list(variants))
        if status is ImageStatus.READY
        else {}
    )
    return ImageOut(uuid.UUID(str(row["id"])), status, row["width"], row["height"], urls)
