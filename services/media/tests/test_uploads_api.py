"""``POST/GET /api/v1/media/images`` through the real app, PostgreSQL, Valkey and Azurite."""

from __future__ import annotations

import resource
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from stelly_core.settings import Settings
from stelly_media.jobs.redis_streams import STREAM
from stelly_media.storage import BlobStore, original_name

from . import images
from .conftest import MakeStore

Client = AsyncTestClient[Litestar]
URL = "/api/v1/media/images"
MiB = 1024 * 1024


def upload(data: bytes, *, filename: str = "photo.jpg", content_type: str = "image/jpeg") -> dict:
    return {"files": {"file": (filename, data, content_type)}}


async def test_upload_is_accepted_stored_and_queued(
    client: Client, make_store: MakeStore, store: BlobStore, redis: Redis, empty_queue: None
) -> None:
    shop = await make_store()
    response = await client.post(URL, headers=shop.headers(), **upload(images.jpeg(800, 600)))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "processing"
    image_id = uuid.UUID(body["id"])
    assert response.headers["location"] == f"{URL}/{image_id}"

    status = await client.get(f"{URL}/{image_id}", headers=shop.headers(None))
    assert status.status_code == 200
    assert status.json() == {
        "id": str(image_id),
        "status": "processing",
        "width": 800,
        "height": 600,
        "variants": {},
    }
    blob = store.originals.get_blob_client(original_name(shop.tenant.id, image_id))
    properties = await blob.get_blob_properties()
    assert properties.content_settings.content_type == "image/jpeg"
    entries = await redis.xrange(STREAM)
    assert [e[1][b"job"] for e in entries] == [
        f'{{"tenant_id":{shop.tenant.id},"image_id":"{image_id}"}}'.encode()
    ]


@pytest.mark.parametrize(
    ("maker", "content_type"),
    [(images.png, "image/png"), (images.webp, "image/webp")],
)
async def test_png_and_webp_are_accepted(
    client: Client, make_store: MakeStore, maker: object, content_type: str, empty_queue: None
) -> None:
    shop = await make_store()
    data = maker(300, 200)  # type: ignore[operator]
    response = await client.post(
        URL, headers=shop.headers(), **upload(data, content_type=content_type)
    )
    assert response.status_code == 202, response.text
    status = await client.get(f"{URL}/{response.json()['id']}", headers=shop.headers(None))
    assert (status.json()["width"], status.json()["height"]) == (300, 200)


async def test_jpeg_declared_as_png_is_judged_by_content(
    client: Client, make_store: MakeStore, store: BlobStore, empty_queue: None
) -> None:
    shop = await make_store()
    response = await client.post(
        URL,
        headers=shop.headers(),
        **upload(images.jpeg(64, 48), filename="x.png", content_type="image/png"),
    )
    assert response.status_code == 202, response.text
    image_id = uuid.UUID(response.json()["id"])
    blob = store.originals.get_blob_client(original_name(shop.tenant.id, image_id))
    assert (await blob.get_blob_properties()).content_settings.content_type == "image/jpeg"


async def test_exif_orientation_gives_the_displayed_dimensions(
    client: Client, make_store: MakeStore, empty_queue: None
) -> None:
    shop = await make_store()
    response = await client.post(
        URL, headers=shop.headers(), **upload(images.jpeg(400, 300, orientation=6))
    )
    status = await client.get(f"{URL}/{response.json()['id']}", headers=shop.headers(None))
    assert (status.json()["width"], status.json()["height"]) == (300, 400)


async def test_text_file_named_jpg_is_415(client: Client, make_store: MakeStore) -> None:
    shop = await make_store()
    response = await client.post(
        URL, headers=shop.headers(), **upload(b"hello, this is text\n" * 50)
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unsupported_image_type"


async def test_gif_is_415(client: Client, make_store: MakeStore) -> None:
    shop = await make_store()
    gif = bytes(images.picture(20, 20).gifsave_buffer())
    response = await client.post(
        URL, headers=shop.headers(), **upload(gif, content_type="image/jpeg")
    )
    assert response.status_code == 415


async def test_truncated_jpeg_is_422(client: Client, make_store: MakeStore) -> None:
    shop = await make_store()
    data = images.jpeg(640, 480)
    response = await client.post(URL, headers=shop.headers(), **upload(data[: len(data) * 2 // 3]))
    assert response.status_code == 422
    assert response.json()["code"] == "truncated_image"


async def test_jpeg_cut_inside_its_header_is_422(client: Client, make_store: MakeStore) -> None:
    shop = await make_store()
    response = await client.post(URL, headers=shop.headers(), **upload(images.jpeg(640, 480)[:40]))
    assert response.status_code == 422
    assert response.json()["code"] in {"unreadable_image", "truncated_image"}


async def test_png_bomb_is_refused_from_its_header(client: Client, make_store: MakeStore) -> None:
    shop = await make_store()
    bomb = images.png_bomb()
    assert len(bomb) < 8 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    response = await client.post(
        URL, headers=shop.headers(), **upload(bomb, content_type="image/png")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "too_many_pixels"
    assert response.json()["width"] == 30_000
    # decoding 900 megapixels would need hundreds of MB; the peak RSS (KiB) barely moved
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024


async def test_too_many_pixels_follows_the_setting(
    media_settings: Settings, make_store: MakeStore
) -> None:
    from stelly_media.app import create_app

    small = media_settings.model_copy(update={"media_max_pixels": 100 * 100})
    shop = await make_store()
    async with AsyncTestClient(create_app(small)) as tight:
        response = await tight.post(URL, headers=shop.headers(), **upload(images.jpeg(101, 100)))
        assert response.status_code == 422
        assert response.json()["code"] == "too_many_pixels"
        response = await tight.post(URL, headers=shop.headers(), **upload(images.jpeg(100, 100)))
        assert response.status_code == 202


def _multipart(file_chunks: AsyncIterator[bytes], boundary: str) -> AsyncIterator[bytes]:
    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        async for chunk in file_chunks:
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    return body()


class Counting:
    """50 MiB of JPEG-looking bytes in 64 KiB chunks, counting what was pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b"\xff\xd8\xff" + b"\x00" * (64 * 1024 - 3)
        while self.sent < self.total:
            self.sent += len(chunk)
            yield chunk


@pytest.mark.parametrize("announce_length", [True, False])
async def test_50_mib_body_is_413_without_reading_it_all(
    media_settings: Settings, make_store: MakeStore, announce_length: bool
) -> None:
    from stelly_media.app import create_app

    shop = await make_store()
    source = Counting(50 * MiB)
    boundary = "stellyboundary"
    headers = {**shop.headers(), "content-type": f"multipart/form-data; boundary={boundary}"}
    if announce_length:
        headers["content-length"] = str(50 * MiB + 200)
    app = create_app(media_settings)
    # straight through httpx's ASGI transport, which pulls the body as the app reads it
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as raw,
    ):
        response = await raw.post(
            URL, headers=headers, content=_multipart(source.__aiter__(), boundary)
        )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert source.sent <= 11 * MiB
    if announce_length:
        assert source.sent == 0  # refused from the announced length alone


async def test_file_over_the_limit_is_413(media_settings: Settings, make_store: MakeStore) -> None:
    from stelly_media.app import create_app

    small = media_settings.model_copy(update={"media_max_bytes": 4096})
    shop = await make_store()
    async with AsyncTestClient(create_app(small)) as tight:
        response = await tight.post(URL, headers=shop.headers(), **upload(images.jpeg(400, 300)))
        assert response.status_code == 413
        assert response.json()["max_bytes"] == 4096


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {"content": b"not a form", "headers": {"content-type": "image/jpeg"}},
            "unsupported_media_type",
        ),
        (
            {
                "data": {"other": "x"},
                "files": {"picture": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")},
            },
            "validation_error",
        ),
        ({"files": {"file": ("a.jpg", b"", "image/jpeg")}}, "validation_error"),
        (  # the form has one part, `file`, and nothing else (as the API document says)
            {"files": [("file", ("a.jpg", images.jpeg(8, 8), "image/jpeg")), ("x", ("b", b"1"))]},
            "validation_error",
        ),
        (
            {
                "files": [
                    ("file", ("a.jpg", images.jpeg(8, 8), "image/jpeg")),
                    ("file", ("b.jpg", images.jpeg(8, 8), "image/jpeg")),
                ]
            },
            "validation_error",
        ),
        (
            {
                "content": b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
                "headers": {"content-type": "multipart/form-data; boundary=b"},
            },
            "validation_error",
        ),
    ],
)
async def test_malformed_forms_are_client_errors(
    client: Client, make_store: MakeStore, kwargs: dict, code: str
) -> None:
    shop = await make_store()
    headers = {**shop.headers(), **kwargs.pop("headers", {})}
    response = await client.post(URL, headers=headers, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [(None, 401, "not_authenticated"), ("staff", 403, "insufficient_role")],
)
async def test_upload_needs_a_manager_or_owner(
    client: Client, make_store: MakeStore, role: str | None, status: int, code: str
) -> None:
    shop = await make_store()
    response = await client.post(URL, headers=shop.headers(role), **upload(images.jpeg(64, 48)))
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_owner_may_upload(client: Client, make_store: MakeStore, empty_queue: None) -> None:
    shop = await make_store()
    response = await client.post(URL, headers=shop.headers("owner"), **upload(images.jpeg(64, 48)))
    assert response.status_code == 202


async def test_another_tenants_token_is_refused(client: Client, make_store: MakeStore) -> None:
    a, b = await make_store(), await make_store()
    headers = {**a.headers(), "authorization": b.headers()["authorization"]}
    response = await client.post(URL, headers=headers, **upload(images.jpeg(64, 48)))
    assert response.status_code == 403
    assert response.json()["code"] == "token_wrong_tenant"


async def test_another_tenants_image_is_not_found(
    client: Client, make_store: MakeStore, empty_queue: None
) -> None:
    a, b = await make_store(), await make_store()
    response = await client.post(URL, headers=a.headers(), **upload(images.jpeg(64, 48)))
    image_id = response.json()["id"]
    assert (await client.get(f"{URL}/{image_id}", headers=a.headers(None))).status_code == 200
    other = await client.get(f"{URL}/{image_id}", headers=b.headers(None))
    assert other.status_code == 404
    assert other.json()["code"] == "image_not_found"


@pytest.mark.parametrize(
    ("image_id", "code"),
    [
        *(
            (bad, "image_not_found")
            for bad in ("nope", "1", str(uuid.uuid4()), "x" * 300, "%00", "%ff", "%20")
        ),
        ("a%2Fb", "not_found"),  # a slash is no id: the router finds no such path
    ],
)
async def test_unknown_or_malformed_ids_are_404(
    client: Client, make_store: MakeStore, image_id: str, code: str
) -> None:
    shop = await make_store()
    response = await client.get(f"{URL}/{image_id}", headers=shop.headers(None))
    assert response.status_code == 404
    assert response.json()["code"] == code


async def test_only_the_hyphenated_id_names_an_image(
    client: Client, make_store: MakeStore, empty_queue: None
) -> None:
    shop = await make_store()
    response = await client.post(URL, headers=shop.headers(), **upload(images.jpeg(64, 48)))
    image_id = uuid.UUID(response.json()["id"])
    upper = await client.get(f"{URL}/{str(image_id).upper()}", headers=shop.headers(None))
    assert upper.status_code == 200
    assert upper.json()["id"] == str(image_id)
    # uuid.UUID would read all of these; the document's `format: uuid` does not
    for spelling in (image_id.hex, f"{{{image_id}}}", f"urn:uuid:{image_id}"):
        other = await client.get(f"{URL}/{spelling}", headers=shop.headers(None))
        assert other.status_code == 404, spelling
        assert other.json()["code"] == "image_not_found"
