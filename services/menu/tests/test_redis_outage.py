"""Redis stopped while the service runs: orders still succeed, reads fall back, events wait.

The service runs against a Valkey of its own on a fixed port, stopped and
started again in the test; nothing else relays events meanwhile (the shared
test client runs without a relay).
"""

from __future__ import annotations

import asyncio
import uuid

from litestar.testing import AsyncTestClient
from stelly_core.events import channel_key
from stelly_core.localstack import EmbeddedValkey, free_port
from stelly_core.redis import connect_redis
from stelly_core.settings import Settings
from stelly_menu.app import create_app

from .conftest import SIMPLE_ITEM, Client, MakeStore, add_category, add_item


async def test_order_placed_while_redis_is_down_is_relayed_when_it_returns(
    make_store: MakeStore, client: Client, settings: Settings
) -> None:
    # make_store uses the shared client (and Redis) to set the store up
    store = await make_store()
    category = await add_category(client, store)
    item = await add_item(client, store, category["id"], SIMPLE_ITEM)

    port = free_port()
    valkey = EmbeddedValkey(port=port)
    url = valkey.start()
    own = settings.model_copy(update={"redis_url": url})
    try:
        async with AsyncTestClient(create_app(own)) as app:
            assert (await app.get("/api/v1/store/menu", headers=store.host)).status_code == 200
            valkey.stop()

            # reads fall back to the database
            menu = await app.get("/api/v1/store/menu", headers=store.host)
            assert menu.status_code == 200
            assert menu.json()["categories"][0]["items"][0]["name"] == "Fries"
            # orders are taken; the event waits in the outbox
            response = await app.post(
                "/api/v1/store/orders",
                json={
                    "items": [{"item_id": item["id"]}],
                    "customer": {"name": "Ann"},
                    "fulfillment": "pickup",
                },
                headers={**store.host, "idempotency-key": str(uuid.uuid4())},
            )
            assert response.status_code == 201, response.text
            order = response.json()

            valkey = EmbeddedValkey(port=port)
            assert valkey.start() == url
            redis = connect_redis(url)
            try:
                entries: list[tuple[bytes, dict[bytes, bytes]]] = []
                for _ in range(300):
                    entries = await redis.xrange(channel_key(store.tenant.id, "kitchen"))
                    if entries:
                        break
                    await asyncio.sleep(0.05)
                assert [fields[b"type"] for _, fields in entries] == [b"order.created"]
                assert f'"id":{order["id"]}'.encode() in entries[0][1][b"data"]
                own_channel = await redis.xrange(
                    channel_key(store.tenant.id, f"order:{order['id']}")
                )
                assert len(own_channel) == 1
            finally:
                await redis.aclose()
    finally:
        valkey.stop()
