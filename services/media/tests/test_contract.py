"""The media API against its own OpenAPI document: schemathesis, every check, a fixed seed.

The document is the app's own (built at import, as ``scripts/openapi.py``
builds it: it depends on no setting), and the first test checks that the app
serves exactly it at ``/schema/openapi.json``. The app under test runs
in-process (schemathesis's ASGI transport: one event loop thread for the
lifespan and every request) over the session's PostgreSQL, Valkey and
Azurite. Requests carry the ``Host`` of a tenant provisioned here, never a
demo tenant, and a manager's token of that tenant. (The schema is loaded at
import rather than through ``schemathesis.pytest.from_fixture``, whose lazy
loader does not run under pytest 9.)

Generated upload forms get real images in ``file`` (tiny JPEG, PNG and WebP
files, one strategy per content type the form's encoding names), so that
positive data is accepted as the document promises; negative data never gets
one, so every negative form must be refused. Positive reads of an image ask,
for some of the generated ids, for one of three images seeded in the tenant
(processing, ready with variants, failed), so that the 200 answer is checked
against the document in every state, not only the 404.
"""

from __future__ import annotations

import json
import secrets
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from litestar import Litestar
from litestar.serialization import encode_json
from litestar.testing import AsyncTestClient
from litestar.types import Receive, Scope, Send
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import shutdown_lifespans
from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_core.settings import Settings, load_settings
from stelly_media.app import create_app
from stelly_media.formats import ImageFormat, ImageHeader
from stelly_media.images import insert_image, mark_failed, mark_ready

from . import images
from .conftest import Store, provision_store

#: the seed of every run (each operation derives its own from it)
SEED = 20_260_513
#: the fuzzing phase's budget per operation (examples and coverage come on top)
MAX_EXAMPLES = 600
SCHEMA_PATH = "/schema/openapi.json"


def _image(encode: Any) -> st.SearchStrategy[bytes]:
    sizes = st.integers(min_value=1, max_value=48)
    return st.tuples(sizes, sizes).map(lambda wh: bytes(encode(*wh)))


for _content_type, _encode in (
    ("image/jpeg", images.jpeg),
    ("image/png", images.png),
    ("image/webp", images.webp),
):
    schemathesis.openapi.media_type(_content_type, _image(_encode))


def contract_config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": "http://testserver",  # any; the requests go to the ASGI app
            "checks": {"enabled": True},
            "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}},
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
        }
    )


class DeferredApp:
    """The ASGI app under test, known only once the session's servers are up.

    Schemathesis binds an app to the operations it collects at import time,
    before any fixture has run; this stands in for it until :func:`app` sets it.
    """

    def __init__(self) -> None:
        self.app: Litestar | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the app fixture binds the app under test"
        await self.app(scope, receive, send)


DOCUMENT: dict[str, Any] = json.loads(
    encode_json(create_app(load_settings({"STELLY_ENV": "test"})).openapi_schema.to_schema())
)
UNDER_TEST = DeferredApp()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=contract_config())
schema.app = UNDER_TEST


@pytest.fixture(scope="module")
def app(media_settings: Settings) -> Iterator[Litestar]:
    """The app under test, bound to the schema so that cases are sent to it."""
    UNDER_TEST.app = create_app(media_settings)
    yield UNDER_TEST.app
    shutdown_lifespans()  # the lifespan schemathesis started on its own loop
    UNDER_TEST.app = None


@pytest.fixture(scope="module")
async def shop(db: Database, hasher: PasswordHashing, media_settings: Settings) -> Store:
    """A tenant of this module's own (hypothesis reuses it across examples)."""
    return await provision_store(db, "contract-" + secrets.token_hex(4), hasher, media_settings)


@pytest.fixture(scope="module")
async def seeded(db: Database, shop: Store) -> list[str]:
    """The ids of a processing, a ready and a failed image of ``shop``."""
    header = ImageHeader(ImageFormat.JPEG, 1600, 1200)
    ids = [uuid.uuid4() for _ in range(3)]
    async with db.tenant(shop.tenant.schema) as conn:
        for image_id in ids:
            await insert_image(conn, image_id, header, 4096, uploaded_by=1)
        assert await mark_ready(conn, ids[1], {"320": 320, "640": 640, "1280": 1280})
        assert await mark_failed(conn, ids[2], "could not be decoded")
    return [str(image_id) for image_id in ids]


async def test_the_document_is_served(media_settings: Settings, shop: Store) -> None:
    async with AsyncTestClient(create_app(media_settings)) as client:
        response = await client.get(SCHEMA_PATH, headers=shop.headers(None))
    assert response.status_code == 200
    assert response.json() == DOCUMENT
    assert response.json()["info"]["title"] == "Stelly media"


def test_the_document_states_the_form_the_auth_and_the_problems() -> None:
    upload = DOCUMENT["paths"]["/api/v1/media/images"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]
    assert form["schema"]["required"] == ["file"]
    assert form["schema"]["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "The image file.",
    }
    assert form["encoding"]["file"]["contentType"] == "image/jpeg, image/png, image/webp"
    assert upload["security"] == [{"bearer": []}]
    assert DOCUMENT["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert set(upload["responses"]) == {
        "202",
        "400",
        "401",
        "403",
        "404",
        "413",
        "415",
        "422",
        "503",
    }
    assert "Retry-After" in upload["responses"]["503"]["headers"]
    status = DOCUMENT["paths"]["/api/v1/media/images/{image_id}"]["get"]
    assert "security" not in status  # reading a status needs no token
    assert status["parameters"][0]["schema"]["format"] == "uuid"
    not_found = status["responses"]["404"]["content"]["application/problem+json"]["schema"]
    codes = DOCUMENT["components"]["schemas"][not_found["$ref"].rsplit("/", 1)[1]]
    assert codes["properties"]["code"]["enum"] == ["image_not_found", "tenant_not_found"]


@schema.parametrize()
# generating images takes a while on a busy machine; that says nothing of the API
@hypothesis.settings(
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large]
)
def test_media_api_conforms_to_its_document(
    case: Any, app: Litestar, shop: Store, seeded: list[str]
) -> None:
    image_id = (case.path_parameters or {}).get("image_id")
    if image_id is not None and case.meta.generation.mode.is_positive:
        # a valid id either way; three in four name a seeded image (the choice follows the draw)
        pick = zlib.crc32(str(image_id).encode()) % 4
        if pick < len(seeded):
            case.path_parameters["image_id"] = seeded[pick]
    # spelled as the security scheme names it, so that the auth checks can take it away
    headers = {
        "Host": f"{shop.tenant.slug}.localhost",
        "Authorization": f"Bearer {shop.tokens['manager']}",
    }
    case.call_and_validate(headers=headers)
