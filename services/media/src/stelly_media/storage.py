"""The image store: Azure Blob Storage container ``stelly-assets`` (Azurite locally).

Blob names are ``{tenant_id}/images/{image_id}/original`` and
``{tenant_id}/images/{image_id}/w{width}.webp``. The tenant part is the
registry id, not the slug: a slug given up and taken again by another
restaurant must never meet the old one's files (the same rule as Redis keys).
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import BlobServiceClient

from stelly_media.variants import CACHE_CONTROL

if TYPE_CHECKING:
    import uuid
    from pathlib import Path

    from azure.storage.blob.aio import ContainerClient
    from stelly_core.settings import Settings

__all__ = ["CONTAINER", "BlobStore", "StorageNotConfigured", "original_name", "variant_name"]

CONTAINER = "stelly-assets"
_CHUNK = 4 * 1024 * 1024


class StorageNotConfigured(RuntimeError):
    """Neither a blob account URL nor a connection string is set."""


def original_name(tenant_id: int, image_id: uuid.UUID) -> str:
    """The blob name of an upload as received."""
    return f"{int(tenant_id)}/images/{image_id}/original"


def variant_name(tenant_id: int, image_id: uuid.UUID, width: int) -> str:
    """The blob name of one WebP variant (``width`` is the variant's name)."""
    return f"{int(tenant_id)}/images/{image_id}/w{int(width)}.webp"


class BlobStore:
    """Reads and writes image blobs in one container."""

    def __init__(self, service: BlobServiceClient, *, public_base_url: str) -> None:
        self._service = service
        self.container: ContainerClient = service.get_container_client(CONTAINER)
        self.public_base_url = public_base_url.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings) -> BlobStore:
        """The store the settings describe.

        ``STELLY_BLOB_CONNECTION_STRING`` (Azurite, or a key where no identity
        can be used) or ``STELLY_BLOB_ACCOUNT_URL`` with the managed identity.
        Public URLs start with ``STELLY_ASSETS_BASE_URL`` (a CDN in front of
        the container), else with the container's own URL.

        Raises:
            StorageNotConfigured: when neither is set.
        """
        if settings.blob_connection_string:
            service = BlobServiceClient.from_connection_string(settings.blob_connection_string)
        elif settings.blob_account_url:
            from azure.identity.aio import DefaultAzureCredential

            service = BlobServiceClient(
                settings.blob_account_url, credential=DefaultAzureCredential()
            )
        else:
            raise StorageNotConfigured(
                "invalid settings: STELLY_BLOB_CONNECTION_STRING or STELLY_BLOB_ACCOUNT_URL: "
                "one is needed for media"
            )
        store = cls(service, public_base_url="")
        store.public_base_url = (settings.assets_base_url or store.container.url).rstrip("/")
        return store

    async def close(self) -> None:
        await self._service.close()

    async def ensure_container(self) -> None:
        """Create the container with anonymous blob read (development only)."""
        with contextlib.suppress(ResourceExistsError):
            await self.container.create_container(public_access="blob")

    async def ping(self) -> None:
        """Raise unless the container answers."""
        await self.container.get_container_properties()

    def public_url(self, blob_name: str) -> str:
        return f"{self.public_base_url}/{blob_name}"

    async def put_file(self, name: str, path: Path, *, content_type: str) -> None:
        """Upload a file, streamed in blocks, replacing any blob of that name."""
        with path.open("rb") as data:
            length = os.fstat(data.fileno()).st_size
            await self.container.upload_blob(
                name,
                data,
                length=length,
                overwrite=True,
                content_settings=ContentSettings(
                    content_type=content_type, cache_control="private, no-store"
                ),
            )

    async def put_variant(self, name: str, data: bytes) -> None:
        """Write a WebP variant with its immutable cache header (idempotent)."""
        await self.container.upload_blob(
            name,
            data,
            overwrite=True,
            content_settings=ContentSettings(
                content_type="image/webp", cache_control=CACHE_CONTROL
            ),
        )

    async def get_to_file(self, name: str, path: Path) -> None:
        """Download a blob into ``path``, chunk by chunk."""
        downloader = await self.container.download_blob(name)
        with path.open("wb") as out:
            async for chunk in downloader.chunks():
                out.write(chunk)
