"""PostgreSQL stopped under a running menu: every answer is 503 with ``Retry-After``, never 500.

The service runs against a PostgreSQL of this test's own (its own data
directory), stopped the way an operator or a platform restart stops it
(``pg_ctl -m fast``: sessions are ended with an admin shutdown) and started
again; the session's shared server is never touched.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import uuid
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_core.localstack import EmbeddedPostgres
from stelly_core.settings import Settings
from stelly_menu.app import create_app
from stelly_tenancy.migrator import migrate_platform
from stelly_tenancy.provisioning import NewTenant, create_tenant

from .conftest import OWNER_PASSWORD, SIMPLE_ITEM, Store, add_category, add_item, login


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] in {"1", "2"}
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unavailable"


async def test_postgres_stopped_answers_503_with_retry_after_then_recovers(
    settings: Settings, hasher: PasswordHashing
) -> None:
    with tempfile.TemporaryDirectory(prefix="stelly-outage-pg-") as tmp:
        os.chmod(tmp, 0o755)  # the embedded server runs as its own user when we are root
        server = EmbeddedPostgres(Path(tmp) / "data", delete_on_stop=True)
        url = server.start()
        try:
            db = await Database.connect(url, settings, max_size=2)
            try:
                await migrate_platform(db)
                slug = "o" + secrets.token_hex(5)
                email = f"owner@{slug}.example"
                tenant = await create_tenant(
                    db,
                    NewTenant(
                        slug=slug, name="Outage", owner_email=email, owner_password=OWNER_PASSWORD
                    ),
                    hasher=hasher,
                )
            finally:
                await db.close()
            own = settings.model_copy(update={"database_url": url})
            async with AsyncTestClient(create_app(own, relay=False)) as app:
                host = {"host": f"{slug}.localhost"}
                store = Store(tenant, email, await login(app, host, email, OWNER_PASSWORD))
                category = await add_category(app, store)
                item = await add_item(app, store, category["id"], SIMPLE_ITEM)
                order = {
                    "items": [{"item_id": item["id"]}],
                    "customer": {"name": "Ann"},
                    "fulfillment": "pickup",
                }

                await asyncio.to_thread(server.shut_down, "fast")
                # the tenant is cached: the handler's own database work fails
                _assert_unavailable(
                    await app.post(
                        "/api/v1/store/orders",
                        json=order,
                        headers={**host, "idempotency-key": str(uuid.uuid4())},
                    )
                )
                _assert_unavailable(await app.get("/api/v1/admin/store", headers=store.auth()))
                # a host not cached yet: tenant resolution itself fails
                _assert_unavailable(
                    await app.get("/api/v1/store", headers={"host": "nobody-yet.localhost"})
                )

                await asyncio.to_thread(server.start_again)
                for _ in range(50):  # the pool replaces its dead connections
                    response = await app.post(
                        "/api/v1/store/orders",
                        json=order,
                        headers={**host, "idempotency-key": str(uuid.uuid4())},
                    )
                    if response.status_code != 503:
                        break
                    await asyncio.sleep(0.1)
                assert response.status_code == 201, response.text
        finally:
            server.stop()
