"""The verdict on an uploaded file, before anything is stored (SPEC §3).

415 when the bytes are not JPEG, PNG or WebP (the declared type is never
consulted); 422 when the header is unreadable, declares more pixels than
``STELLY_MEDIA_MAX_PIXELS``, or the file is cut short. No pixel is decoded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stelly_core.errors import ProblemError

from stelly_media.formats import (
    ImageHeader,
    UnreadableImage,
    is_complete,
    read_header,
    sniff_format,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["inspect_upload"]


def inspect_upload(path: Path, *, max_pixels: int) -> ImageHeader:
    """Judge an uploaded file by its content.

    Raises:
        ProblemError: 415 ``unsupported_image_type``; 422 ``unreadable_image``,
            ``too_many_pixels`` or ``truncated_image``.
    """
    with path.open("rb") as f:
        head = f.read(16)
    fmt = sniff_format(head)
    if fmt is None:
        raise ProblemError(
            415, "unsupported_image_type", "the file is not a JPEG, PNG or WebP image"
        )
    try:
        header = read_header(path, fmt)
    except UnreadableImage as exc:
        raise ProblemError(
            422, "unreadable_image", f"the {fmt.value.upper()} header cannot be read: {exc}"
        ) from None
    if header.pixels > max_pixels:
        raise ProblemError(
            422,
            "too_many_pixels",
            f"{header.width}x{header.height} is more than {max_pixels} pixels",
            extra={"max_pixels": max_pixels, "width": header.width, "height": header.height},
        )
    if not is_complete(path, fmt):
        raise ProblemError(422, "truncated_image", f"the {fmt.value.upper()} file is cut short")
    return header
