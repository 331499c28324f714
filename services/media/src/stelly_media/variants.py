"""The WebP variants of an image: sizing rules and the libvips pipeline.

One shrink-on-load ``thumbnail`` from the file renders the largest variant
(JPEG and WebP decode at a fraction of full size, so a 40 MP photo never
exists in memory at full resolution); each smaller one is resized from the
next larger in-memory result instead of decoding the original again. The
largest variant's WebP encode, the longest step after decoding, runs on a
second thread while this one resizes and encodes the smaller variants
(libvips releases the GIL). ``thumbnail`` applies the EXIF orientation and
converts to sRGB; saving keeps no metadata.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "CACHE_CONTROL",
    "VARIANT_WIDTHS",
    "RenderedVariant",
    "configure_libvips",
    "render_variants",
    "variant_width",
]

#: The widths of SPEC §3, largest first is the order they are rendered in.
VARIANT_WIDTHS: tuple[int, ...] = (320, 640, 1280)
#: Variants never change once written: their URL names the image id.
CACHE_CONTROL = "public, max-age=31536000, immutable"
WEBP_QUALITY = 80
#: ``thumbnail`` fits inside width x height; this height never binds.
_UNBOUNDED = 10_000_000


@dataclass(frozen=True, slots=True)
class RenderedVariant:
    """One encoded variant: its name (the target width), real size and bytes."""

    name: int
    width: int
    height: int
    data: bytes


def variant_width(target: int, source_width: int) -> int:
    """The width of a variant: the target, but never wider than the source."""
    return max(1, min(target, source_width))


def configure_libvips(*, concurrency: int | None = None) -> None:
    """Process-wide libvips settings for the worker: no operation cache.

    The cache would keep decoded images of earlier jobs alive for reuse that
    never comes; without it memory follows the job at hand.
    """
    import pyvips  # type: ignore[import-untyped]

    pyvips.cache_set_max(0)
    pyvips.cache_set_max_mem(0)
    if concurrency is not None:
        pyvips.concurrency_set(concurrency)


def _encode(image: Any, name: int) -> RenderedVariant:
    data = image.webpsave_buffer(Q=WEBP_QUALITY, keep="none", effort=2)
    return RenderedVariant(name, int(image.width), int(image.height), bytes(data))


def _to_srgb(image: Any) -> Any:
    if image.interpretation != "srgb":
        image = image.colourspace("srgb")
    if image.hasalpha() and image.bands > 4:
        image = image.extract_band(0, n=4)
    return image


def render_variants(
    source: Path, widths: tuple[int, ...] = VARIANT_WIDTHS
) -> list[RenderedVariant]:
    """Render every variant of one image file.

    Args:
        source: the original (JPEG, PNG or WebP).
        widths: the variant names (target widths).

    Returns:
        One variant per width, in the order of ``widths``.

    Raises:
        pyvips.Error: when the file cannot be decoded (corrupt, truncated).
    """
    import pyvips

    ordered = sorted(widths, reverse=True)
    # fail on truncated or corrupt data instead of rendering grey blocks
    largest = pyvips.Image.thumbnail(
        str(source), ordered[0], height=_UNBOUNDED, size="down", fail_on="error"
    )
    largest = _to_srgb(largest).copy_memory()
    rendered: dict[int, RenderedVariant] = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="webp") as side:
        first = side.submit(_encode, largest, ordered[0])
        previous = largest
        for target in ordered[1:]:
            width = variant_width(target, previous.width)
            if width != previous.width:
                previous = previous.thumbnail_image(
                    width, height=_UNBOUNDED, size="down"
                ).copy_memory()
            rendered[target] = _encode(previous, target)
        rendered[ordered[0]] = first.result()
    return [rendered[w] for w in widths]
