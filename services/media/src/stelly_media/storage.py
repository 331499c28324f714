"""The image store: Azure Blob Storage (Azurite locally).

Variants are ``{tenant_id}/images/{image_id}/w{width}.webp`` in the public
container ``stelly-assets``. Originals are ``{tenant_id}/images/{image_id}/original``
in the private container ``stelly-originals``: an upload still carries its
metadata (EXIF GPS position, camera serial), and the menu names every image
id, so in the public container anyone could fetch it (docs/decisions.md).
The tenant part is the registry id, not the slug: a slug given up and taken
again by another restaurant must never meet the old one's files (the same
rule as Redis keys).
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

__all__ = [
    "CONTAINER",
    "ORIGINALS_CONTAINER",
    "BlobStore",
    "StorageNotConfigured",
    "original_name",
    "variant_name",
]

#: Public (anonymous blob read): the WebP variants only.
CONTAINER = "stelly-assets"
#: Private: uploads as received, read by the worker only.
ORIGINALS_CONTAINER = "stelly-originals"
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
    """Writes variants to the public container, originals to the private one."""

    def __init__(self, service: BlobServiceClient, *, public_base_url: str) -> None:
        self._service = service
        self.assets: ContainerClient = service.get_container_client(CONTAINER)
        self.originals: ContainerClient = service.get_container_client(ORIGINALS_CONTAINER)
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
        store.public_base_url = (settings.assets_base_url or store.assets.url).rstrip("/")
        return store

    async def close(self) -> None:
        await self._service.close()

    async def ensure_container(self) -> None:
        """Create the containers when missing (development only; Bicep does it in Azure).

        The variants' with anonymous blob read, the originals' private.
        """
        with contextlib.suppress(ResourceExistsError):
            await self.assets.create_container(public_access="blob")
        with contextlib.suppress(ResourceExistsError):
            await self.originals.create_container()

    async def ping(self) -> None:
        """Raise unless both containers answer."""
        await self.assets.get_container_properties()
        await self.originals.get_container_properties()

    def public_url(self, blob_name: str) -> str:
        return f"{self.public_base_url}/{blob_name}"

    async def put_original(self, name: str, path: Path, *, content_type: str) -> None:
        """Upload an original to the private container, streamed in blocks (replaces)."""
        with path.open("rb") as data:
            length = os.fstat(data.fileno()).st_size
            await self.originals.upload_blob(
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
        await self.assets.upload_blob(
            name,
            data,
            overwrite=True,
            content_settings=ContentSettings(
                content_type="image/webp", cache_control=CACHE_CONTROL
            ),
        )

    async def get_original(self, name: str, path: Path) -> None:
        """Download an original into ``path``, chunk by chunk."""
        downloader = await self.originals.download_blob(name)
        with path.open("wb") as out:
            async for chunk in downloader.chunks():
                out.write(chunk)
