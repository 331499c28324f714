"""Media worker benchmark (issue 5): the worker's libvips pipeline against Pillow's best.

Both pipelines do the same work on the same inputs in the same run: decode,
apply the EXIF orientation, make the 1280/640/320 px wide variants (never
upscaled) and encode each as WebP (quality 80, effort/method 2). Pillow's
pipeline is its best one: ``Image.thumbnail`` with ``reducing_gap``, which
uses ``draft()`` (DCT-domain downscaling) for JPEG and ``reduce()`` before
the final Lanczos resize; each smaller variant is resized from the next
larger one and the 1280 one is encoded on a second thread, as the worker does.

Inputs, generated here: a 12 MP and a 40 MP JPEG and a 12 MP PNG. Each
(pipeline, input) runs in a process of its own, so that its peak RSS
(``wait4``'s ``ru_maxrss``) is its own; the pipelines alternate for a few
rounds and each keeps its best rate.

Targets: never slower than Pillow on JPEG, >= 2x on PNG, worker peak RSS
under 150 MB on the 40 MP JPEG. These are fresh processes with the worker's
allocator and libvips settings; ``bench.worker`` measures a long-running
worker after a burst.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

INPUTS = {
    "12 MP JPEG": ("jpeg12.jpg", 4000, 3000),
    "40 MP JPEG": ("jpeg40.jpg", 7300, 5480),
    "12 MP PNG": ("png12.png", 4000, 3000),
}
WIDTHS = (320, 640, 1280)
QUALITY = 80
EFFORT = 2
RSS_TARGET_MB = 150


def _make_inputs(directory: Path) -> None:
    import pyvips  # type: ignore[import-untyped]

    for name, width, height in INPUTS.values():
        # structure at several scales, like a photo; flat images flatter every codec
        coarse = pyvips.Image.perlin(width, height, cell_size=256, uchar=True)
        fine = pyvips.Image.perlin(width, height, cell_size=24, uchar=True)
        noise = pyvips.Image.gaussnoise(width, height, sigma=12, mean=0)
        grey = (coarse * 0.6 + fine * 0.3 + noise).cast("uchar")
        image = grey.bandjoin([coarse, fine]).copy(interpretation="srgb")
        path = directory / name
        if path.suffix == ".jpg":
            image.jpegsave(str(path), Q=88)
        else:
            image.pngsave(str(path), compression=6)


def _run_vips(path: Path) -> int:
    from stelly_media.variants import render_variants

    return len(render_variants(path, WIDTHS))


def _run_pillow(path: Path) -> int:
    from PIL import Image, ImageOps

    with Image.open(path) as original:
        width, height = original.size
        orientation = original.getexif().get(0x0112, 1)
        quarter = orientation in (5, 6, 7, 8)
        target = min(max(WIDTHS), height if quarter else width)
        box = (10_000_000, target) if quarter else (target, 10_000_000)
        original.thumbnail(box, Image.Resampling.LANCZOS, reducing_gap=2.0)
        largest = ImageOps.exif_transpose(original).convert("RGB")

    def save(image: Image.Image) -> int:
        image.save(io.BytesIO(), "WEBP", quality=QUALITY, method=EFFORT)
        return 1

    # as the worker does: the largest encode on a second thread (Pillow's
    # codecs and resampling release the GIL), each smaller variant from the
    # next larger one
    ordered = sorted(WIDTHS, reverse=True)
    with ThreadPoolExecutor(max_workers=1) as side:
        first = side.submit(save, largest)
        count = 0
        previous = largest
        for wanted in ordered[1:]:
            if wanted < previous.width:
                previous = previous.copy()
                previous.thumbnail((wanted, 10_000_000), Image.Resampling.LANCZOS, reducing_gap=2.0)
            count += save(previous)
        return count + first.result()


def _decode_vips(path: Path) -> int:
    import pyvips

    pyvips.Image.new_from_file(str(path), access="sequential", fail_on="error").copy_memory()
    return 1


def _decode_pillow(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        image.load()
    return 1


PIPELINES = {
    "vips": _run_vips,
    "pillow": _run_pillow,
    "vips-decode": _decode_vips,
    "pillow-decode": _decode_pillow,
}


def _child(pipeline: str, path: Path, repeat: int) -> int:
    run = PIPELINES[pipeline]
    if pipeline.startswith("vips"):
        from stelly_media.memory import tune_allocator
        from stelly_media.variants import configure_libvips

        tune_allocator()  # as the worker's main does, before any thread exists
        configure_libvips()
    run(path)  # warm-up: imports, codec tables
    started = time.perf_counter()
    variants = sum(run(path) for _ in range(repeat))
    elapsed = time.perf_counter() - started
    print(json.dumps({"variants": variants, "seconds": elapsed}))
    return 0


def _measure(pipeline: str, path: Path, repeat: int) -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "bench.media",
        "--child",
        pipeline,
        str(path),
        "--repeat",
        str(repeat),
    ]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{pipeline} on {path.name} exited with {process.returncode}")
    figures: dict[str, Any] = json.loads(output)
    figures["rate"] = figures["variants"] / figures["seconds"]
    figures["rss_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return figures


def _best_of(path: Path, repeat: int, rounds: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Alternate the pipelines; keep each one's best rate and its highest peak RSS.

    The machine is shared: the best of a few interleaved rounds is the figure
    least disturbed by neighbours, and both pipelines get the same chances.
    """
    best: dict[str, dict[str, Any]] = {}
    for _ in range(rounds):
        for pipeline in ("pillow", "vips"):
            figures = _measure(pipeline, path, repeat)
            if pipeline in best:
                figures["rss_mb"] = max(figures["rss_mb"], best[pipeline]["rss_mb"])
                if best[pipeline]["rate"] > figures["rate"]:
                    figures["rate"] = best[pipeline]["rate"]
            best[pipeline] = figures
    return best["pillow"], best["vips"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.media")
    parser.add_argument("--tenants", type=int, default=0, help="ignored (the runner passes it)")
    parser.add_argument("--repeat", type=int, default=3, help="images per measurement")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurements per pipeline (best kept)"
    )
    parser.add_argument("--child", nargs=2, metavar=("PIPELINE", "INPUT"), help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args(argv)
    if args.child:
        return _child(args.child[0], Path(args.child[1]), args.repeat)

    failures = []
    with tempfile.TemporaryDirectory(prefix="stelly-bench-media-") as tmp:
        directory = Path(tmp)
        print("generating inputs ...", flush=True)
        _make_inputs(directory)
        print(f"{'input':<12} {'pipeline':<8} {'variants/s':>10} {'peak RSS':>10}  vs Pillow")
        for label, (name, _, _) in INPUTS.items():
            path = directory / name
            pillow, vips = _best_of(path, args.repeat, args.rounds)
            speedup = vips["rate"] / pillow["rate"]
            print(
                f"{label:<12} {'pillow':<8} {pillow['rate']:>10.1f} {pillow['rss_mb']:>8.0f}MB  (baseline)"
            )
            print(
                f"{label:<12} {'worker':<8} {vips['rate']:>10.1f} {vips['rss_mb']:>8.0f}MB  {speedup:.2f}x speed, {vips['rss_mb'] / pillow['rss_mb']:.2f}x memory",
                flush=True,
            )
            needed = 2.0 if "PNG" in label else 1.0
            if speedup < needed:
                failures.append(f"{label}: {speedup:.2f}x Pillow's speed, target {needed:.0f}x")
            if "PNG" in label:
                # the floor: full-resolution PNG decoding has no shrink-on-load
                # and is one serial zlib stream in either library
                vips_decode = _measure("vips-decode", path, args.repeat)
                pillow_decode = _measure("pillow-decode", path, args.repeat)
                per_image = 1000 * len(WIDTHS)  # ms per image from variants per second
                print(
                    f"{'':<12} decoding alone: libvips {1000 / vips_decode['rate']:.0f} ms,"
                    f" Pillow {1000 / pillow_decode['rate']:.0f} ms; the whole Pillow pipeline"
                    f" {per_image / pillow['rate']:.0f} ms, the worker's {per_image / vips['rate']:.0f} ms",
                    flush=True,
                )
            if label == "40 MP JPEG" and vips["rss_mb"] >= RSS_TARGET_MB:
                failures.append(
                    f"{label}: worker peak RSS {vips['rss_mb']:.0f} MB, target < {RSS_TARGET_MB}"
                )
    if failures:
        # reported, not failed: a shared, noisy machine must not break the bench run
        print("TARGETS MISSED: " + "; ".join(failures))
        return 0
    print("targets met: JPEG >= 1x Pillow, PNG >= 2x, 40 MP JPEG peak RSS < 150 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
