"""A valid PNG made with the standard library: the photo staff upload in load and chaos runs.

No imaging library: ``make loadtest`` and ``make chaos`` need none, and the
media worker must do real work on it (a structured RGB picture, not a flat
one).
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["png_bytes"]


def png_bytes(width: int = 96, height: int = 64) -> bytes:
    """An RGB PNG of ``width`` x ``height`` with some structure."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(
        b"\0" + bytes(v for x in range(width) for v in (x * 5 % 256, y * 7 % 256, (x + y) % 256))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
