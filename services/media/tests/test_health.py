"""The media service's readiness covers Blob Storage as well as PostgreSQL and Redis."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient
from stelly_media.storage import BlobStore

Client = AsyncTestClient[Litestar]


async def test_readyz_fails_while_a_container_is_missing(client: Client, store: BlobStore) -> None:
    assert (await client.get("/readyz")).status_code == 200
    await store.originals.delete_container()
    try:
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["code"] == "not_ready"
        assert response.json()["detail"] == "unreachable: blob"
        assert (await client.get("/healthz")).status_code == 200  # alive all the same
    finally:
        await store.ensure_container()
    assert (await client.get("/readyz")).status_code == 200
