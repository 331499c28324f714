"""Judging files by their bytes, and the variant pipeline, without any server."""

from __future__ import annotations

from pathlib import Path

import pytest
import pyvips  # type: ignore[import-untyped]
from stelly_core.errors import ProblemError
from stelly_media.formats import ImageFormat, is_complete, read_header, sniff_format
from stelly_media.inspection import inspect_upload
from stelly_media.variants import render_variants, variant_width

from . import images


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (images.jpeg(8, 8), ImageFormat.JPEG),
        (images.png(8, 8), ImageFormat.PNG),
        (images.webp(8, 8), ImageFormat.WEBP),
        (b"GIF89a" + b"\x00" * 20, None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"<svg xmlns=", None),
        (b"", None),
    ],
)
def test_sniff_format(data: bytes, expected: ImageFormat | None) -> None:
    assert sniff_format(data[:16]) is expected


@pytest.mark.parametrize(
    ("maker", "fmt"),
    [
        (images.jpeg, ImageFormat.JPEG),
        (images.png, ImageFormat.PNG),
        (images.webp, ImageFormat.WEBP),
    ],
)
def test_complete_and_truncated_files(tmp_path: Path, maker: object, fmt: ImageFormat) -> None:
    data = maker(120, 90)  # type: ignore[operator]
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    whole.write_bytes(data)
    cut.write_bytes(data[: len(data) - 40])
    assert is_complete(whole, fmt)
    assert not is_complete(cut, fmt)


def test_header_is_read_without_decoding_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(images.png_bomb())
    header = read_header(path, ImageFormat.PNG)
    assert (header.width, header.height) == (30_000, 30_000)
    with pytest.raises(ProblemError) as refused:
        inspect_upload(path, max_pixels=40_000_000)
    assert (refused.value.status, refused.value.code) == (422, "too_many_pixels")


def test_magic_bytes_of_one_format_with_another_inside_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "liar"
    path.write_bytes(b"\xff\xd8\xff" + images.png(10, 10))
    with pytest.raises(ProblemError) as refused:
        inspect_upload(path, max_pixels=40_000_000)
    assert refused.value.status == 422


@pytest.mark.parametrize(
    ("target", "source", "expected"),
    [(320, 4000, 320), (1280, 500, 500), (640, 640, 640), (320, 1, 1)],
)
def test_variant_width_never_upscales(target: int, source: int, expected: int) -> None:
    assert variant_width(target, source) == expected


def test_render_variants_orients_strips_and_converts_to_srgb(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    # a CMYK JPEG, stored sideways, with a description in its EXIF
    image = images.picture(1000, 800).colourspace("cmyk").copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", 8)
    image.jpegsave(str(path), keep="all")
    variants = render_variants(path)
    assert [(v.name, v.width, v.height) for v in variants] == [
        (320, 320, 400),
        (640, 640, 800),
        (1280, 800, 1000),
    ]
    for variant in variants:
        decoded = pyvips.Image.new_from_buffer(variant.data, "")
        assert decoded.interpretation == "srgb"
        assert decoded.bands == 3
        assert not any(
            f.startswith(("exif", "xmp", "icc", "orientation")) for f in decoded.get_fields()
        )


def test_render_variants_refuses_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.jpg"
    path.write_bytes(images.jpeg(300, 200)[:600] + b"\x00" * 2000 + b"\xff\xd9")
    with pytest.raises(pyvips.Error):
        render_variants(path)


@pytest.mark.parametrize("size", [(1000, 800), (3000, 2000)])
def test_png_variants_are_oriented_and_sized(tmp_path: Path, size: tuple[int, int]) -> None:
    path = tmp_path / "sideways.png"
    image = images.picture(*size).copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", 6)
    image.pngsave(str(path), keep="all", compression=1)
    variants = render_variants(path)
    _, height = size
    shown_width = min(1280, height)
    assert [(v.name, v.width) for v in variants] == [(320, 320), (640, 640), (1280, shown_width)]
    assert all(v.height > v.width for v in variants)


def test_render_variants_refuses_a_corrupt_png(tmp_path: Path) -> None:
    data = images.png(400, 300)
    path = tmp_path / "bad.png"
    # keep the signature and IHDR, wreck the compressed pixels, keep IEND
    path.write_bytes(data[:60] + bytes(range(256)) * 8 + data[-12:])
    with pytest.raises(pyvips.Error):
        render_variants(path)
