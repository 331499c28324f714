"""The worker as its own process: real Azurite, Redis Streams, PostgreSQL and faults."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pyvips  # type: ignore[import-untyped]
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from stelly_core.db import Database
from stelly_core.events import channel_key
from stelly_media.jobs.redis_streams import DEAD_LETTER_STREAM, GROUP, STREAM
from stelly_media.storage import BlobStore, original_name, variant_name
from stelly_media.variants import CACHE_CONTROL

from . import images
from .conftest import MakeStore, Store, Workers

Client = AsyncTestClient[Litestar]
URL = "/api/v1/media/images"
#: Generous: only a hung worker gets near it (it bounds the wait, it is not a speed test).
PATIENCE = 90.0


async def _eventually(check: Callable[[], Any]) -> bool:
    """Poll ``check`` (sync or async) until it holds or PATIENCE runs out."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return True
        await asyncio.sleep(0.1)
    return False


async def _upload(client: Client, shop: Store, data: bytes) -> str:
    response = await client.post(
        URL, headers=shop.headers(), files={"file": ("p.bin", data, "application/octet-stream")}
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def _wait_status(client: Client, shop: Store, image_id: str, wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        body: dict[str, Any] = (
            await client.get(f"{URL}/{image_id}", headers=shop.headers(None))
        ).json()
        if body["status"] == wanted:
            return body
        await asyncio.sleep(0.2)
    raise AssertionError(f"image {image_id} never became {wanted}: {body}")


async def _ready_events(redis: Redis, tenant_id: int, image_id: str) -> list[dict[bytes, bytes]]:
    deadline = time.monotonic() + 10
    found: list[dict[bytes, bytes]] = []
    while time.monotonic() < deadline:
        entries = await redis.xrange(channel_key(tenant_id, "menu"))
        found = [
            f
            for _, f in entries
            if f[b"type"] == b"image.ready" and image_id.encode() in f[b"data"]
        ]
        if found:
            await asyncio.sleep(0.5)  # a duplicate would follow within the relay's tick
            entries = await redis.xrange(channel_key(tenant_id, "menu"))
            return [
                f
                for _, f in entries
                if f[b"type"] == b"image.ready" and image_id.encode() in f[b"data"]
            ]
        await asyncio.sleep(0.2)
    return found


async def test_upload_becomes_ready_with_every_variant_public(
    client: Client,
    make_store: MakeStore,
    workers: Workers,
    redis: Redis,
    store: BlobStore,
    empty_queue: None,
) -> None:
    shop = await make_store()
    # a portrait photo stored sideways (EXIF orientation 6) with metadata to strip
    photo = await _upload(
        client, shop, images.jpeg(2000, 1500, orientation=6, exif_note="secret GPS")
    )
    small = await _upload(client, shop, images.png(500, 400))
    workers.start("--claim-idle", "5")

    body = await _wait_status(client, shop, photo, "ready")
    assert (body["width"], body["height"]) == (1500, 2000)
    assert sorted(body["variants"], key=int) == ["320", "640", "1280"]
    async with httpx.AsyncClient() as http:
        for name, url in body["variants"].items():
            assert url.endswith(variant_name(shop.tenant.id, uuid.UUID(photo), int(name)))
            response = await http.get(url)  # anonymous: the container allows public blob read
            assert response.status_code == 200
            assert response.headers["content-type"] == "image/webp"
            assert response.headers["cache-control"] == CACHE_CONTROL
            variant = pyvips.Image.new_from_buffer(response.content, "")
            assert variant.get("vips-loader") == "webpload_buffer"
            assert variant.width == int(name)
            assert variant.height > variant.width  # the orientation was applied
            assert variant.interpretation == "srgb"
            assert not any(f.startswith(("exif", "xmp", "icc")) for f in variant.get_fields())

        # the original, with its metadata, stays private: not next to the
        # variants, and its own container refuses anonymous reads
        original = original_name(shop.tenant.id, uuid.UUID(photo))
        assert (await http.get(store.public_url(original))).status_code == 404
        private = await http.get(f"{store.originals.url}/{original}")
        assert private.status_code in (403, 404)
        kept = await store.originals.download_blob(original)
        assert b"secret GPS" in await kept.readall()

        tiny = await _wait_status(client, shop, small, "ready")
        widths = {}
        for name, url in tiny["variants"].items():
            content = (await http.get(url)).content
            widths[name] = pyvips.Image.new_from_buffer(content, "").width
        assert widths == {"320": 320, "640": 500, "1280": 500}  # never upscaled

    assert len(await _ready_events(redis, shop.tenant.id, photo)) == 1
    assert await redis.xlen(STREAM) == 0  # completed jobs are removed


async def test_worker_killed_mid_job_is_redelivered_and_completes_once(
    client: Client,
    make_store: MakeStore,
    workers: Workers,
    redis: Redis,
    db: Database,
    tmp_path: Path,
    empty_queue: None,
) -> None:
    shop = await make_store()
    image_id = await _upload(client, shop, images.jpeg(1600, 1200))
    pause = tmp_path / "paused"
    doomed = workers.start("--consumer", "doomed", "--claim-idle", "1", "--pause-file", str(pause))
    assert await _eventually(pause.exists), "the first worker never reached the middle of the job"
    # variants written, status not yet committed, job not acknowledged: kill it there
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    pending = await redis.xpending(STREAM, GROUP)
    assert pending["pending"] == 1
    assert (await _status(client, shop, image_id)) == "processing"

    workers.start("--consumer", "rescuer", "--claim-idle", "1")
    body = await _wait_status(client, shop, image_id, "ready")
    assert sorted(body["variants"], key=int) == ["320", "640", "1280"]
    assert len(await _ready_events(redis, shop.tenant.id, image_id)) == 1
    assert (await redis.xpending(STREAM, GROUP))["pending"] == 0
    assert await redis.xlen(DEAD_LETTER_STREAM) == 0


async def _status(client: Client, shop: Store, image_id: str) -> str:
    return str((await client.get(f"{URL}/{image_id}", headers=shop.headers(None))).json()["status"])


async def test_poison_job_is_dead_lettered_and_the_image_failed(
    client: Client,
    make_store: MakeStore,
    workers: Workers,
    redis: Redis,
    store: BlobStore,
    empty_queue: None,
) -> None:
    shop = await make_store()
    image_id = await _upload(client, shop, images.jpeg(640, 480))
    # the stored original rots: a JPEG start, garbage, a JPEG end; it can never decode
    garbage = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"
    await store.originals.upload_blob(
        original_name(shop.tenant.id, uuid.UUID(image_id)), garbage, overwrite=True
    )
    await redis.xadd(STREAM, {"job": b"{not json"})  # and a message that is no job at all

    workers.start("--claim-idle", "0.3", "--max-deliveries", "3")
    body = await _wait_status(client, shop, image_id, "failed")
    assert body["variants"] == {}

    async def two_dead() -> bool:
        return await redis.xlen(DEAD_LETTER_STREAM) >= 2

    assert await _eventually(two_dead)
    dead = {fields[b"job"]: fields for _, fields in await redis.xrange(DEAD_LETTER_STREAM)}
    assert set(dead) == {
        f'{{"tenant_id":{shop.tenant.id},"image_id":"{image_id}"}}'.encode(),
        b"{not json",
    }
    poison = dead[f'{{"tenant_id":{shop.tenant.id},"image_id":"{image_id}"}}'.encode()]
    assert int(poison[b"deliveries"]) == 3
    assert (await redis.xpending(STREAM, GROUP))["pending"] == 0
    events = await redis.xrange(channel_key(shop.tenant.id, "menu"))
    assert [f for _, f in events if f[b"type"] == b"image.ready"] == []
