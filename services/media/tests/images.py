"""Test images made on the fly with libvips, and broken ones made by hand."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pyvips  # type: ignore[import-untyped]


def picture(width: int, height: int) -> Any:
    """An sRGB picture with some structure (not flat, so that encoders work)."""
    noise = pyvips.Image.perlin(width, height, cell_size=64, uchar=True)
    return noise.bandjoin([noise.flip("horizontal"), noise.flip("vertical")]).copy(
        interpretation="srgb"
    )


def jpeg(
    width: int, height: int, *, orientation: int | None = None, exif_note: str | None = None
) -> bytes:
    image = picture(width, height)
    if orientation is not None or exif_note is not None:
        image = image.copy()
        if orientation is not None:
            image.set_type(pyvips.GValue.gint_type, "orientation", orientation)
        if exif_note is not None:
            image.set_type(pyvips.GValue.gstr_type, "exif-ifd0-ImageDescription", exif_note)
    return bytes(image.jpegsave_buffer(Q=85, keep="all"))


def png(width: int, height: int) -> bytes:
    return bytes(picture(width, height).pngsave_buffer(compression=1))


def webp(width: int, height: int) -> bytes:
    return bytes(picture(width, height).webpsave_buffer(Q=75))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A few-kB PNG whose header declares ``width`` x ``height`` grey pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)  # the first rows only
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
    )
