"""What an uploaded file is, judged by its bytes: format, completeness, dimensions.

Nothing here decodes pixels. The format comes from the magic bytes (a
declared content type or file name is ignored), completeness from the
container's end marker, and the dimensions from the header as libvips reads
it with sequential access, so that a small file declaring a huge image is
refused before any pixel memory is allocated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "ImageFormat",
    "ImageHeader",
    "UnreadableImage",
    "is_complete",
    "read_header",
    "sniff_format",
]

#: EXIF orientations that turn the image a quarter (width and height swap).
_QUARTER_TURNS = frozenset({5, 6, 7, 8})


class ImageFormat(StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    WEBP = "webp"

    @property
    def content_type(self) -> str:
        return f"image/{self.value}"


class UnreadableImage(ValueError):
    """The bytes claim a supported format but its header cannot be read."""


@dataclass(frozen=True, slots=True)
class ImageHeader:
    """What the header says, as displayed (EXIF orientation applied)."""

    format: ImageFormat
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def sniff_format(head: bytes) -> ImageFormat | None:
    """The format of a file from its first bytes (at least 12), or ``None``."""
    if head.startswith(b"\xff\xd8\xff"):
        return ImageFormat.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ImageFormat.PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ImageFormat.WEBP
    return None


def _tail(path: Path, size: int) -> bytes:
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        length = f.tell()
        f.seek(max(0, length - size))
        return f.read()


def is_complete(path: Path, fmt: ImageFormat) -> bool:
    """Whether the file ends where its container says it ends (not truncated).

    JPEG ends with the EOI marker (some cameras append a few padding bytes),
    PNG with its ``IEND`` chunk, and a WebP's RIFF size covers the file.
    """
    size = path.stat().st_size
    if fmt is ImageFormat.JPEG:
        return b"\xff\xd9" in _tail(path, 64)
    if fmt is ImageFormat.PNG:
        return _tail(path, 12) == b"\x00\x00\x00\x00IEND\xaeB`\x82"
    with path.open("rb") as f:
        head = f.read(8)
    riff_size = int.from_bytes(head[4:8], "little")
    return size >= 8 + riff_size and riff_size >= 4


def read_header(path: Path, fmt: ImageFormat) -> ImageHeader:
    """Read the dimensions from the header without decoding the pixels.

    Raises:
        UnreadableImage: when libvips cannot read the header, or reads one of
            another format than the magic bytes said.
    """
    import pyvips  # type: ignore[import-untyped]

    try:
        image = pyvips.Image.new_from_file(str(path), access="sequential")
        loader = str(image.get("vips-loader"))
        width, height = int(image.width), int(image.height)
        orientation = int(image.get("orientation")) if image.get_typeof("orientation") != 0 else 1
    except pyvips.Error as exc:
        raise UnreadableImage(str(exc).splitlines()[0] if str(exc) else "unreadable") from None
    if not loader.startswith(fmt.value):
        raise UnreadableImage(f"{loader} read a file that looked like {fmt.value}")
    if orientation in _QUARTER_TURNS:
        width, height = height, width
    return ImageHeader(fmt, width, height)
