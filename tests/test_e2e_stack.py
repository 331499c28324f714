"""End to end: the stack `make run` starts (``stelly dev``), used through the gateway only.

Everything is real: embedded PostgreSQL and Valkey, Azurite, the menu,
realtime and media services, the media worker and the gateway, each its own
process, on free ports and in a temporary state directory.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pyvips
import websockets
from stelly_cli.devstack import running_stack

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield {"port": running.ports["gateway"], "base": running.gateway}


def _host(slug: str, port: int) -> dict[str, str]:
    return {"host": f"{slug}.localhost:{port}"}


@pytest.fixture
async def http(stack: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack["base"], timeout=30) as client:
        yield client


async def test_the_whole_stack_through_the_gateway(
    stack: dict[str, Any], http: httpx.AsyncClient
) -> None:
    port = stack["port"]
    pizza, burger = _host("pizza", port), _host("burger", port)

    menu = (await http.get("/api/v1/store/menu", headers=pizza)).json()
    items = [i for c in menu["categories"] for i in c["items"]]
    assert items, "pizza's demo menu is empty"

    login = await http.post(
        "/api/v1/auth/token",
        headers=pizza,
        json={"email": "owner@pizza.demo", "password": "stelly-demo"},
    )
    assert login.status_code == 200, login.text
    staff = {"authorization": f"Bearer {login.json()['access_token']}"}

    target = items[0]
    new_name = f"{target['name']} (e2e {uuid.uuid4().hex[:6]})"
    edit = await http.patch(
        f"/api/v1/admin/items/{target['id']}", headers=pizza | staff, json={"name": new_name}
    )
    assert edit.status_code == 200, edit.text
    names = [
        i["name"]
        for c in (await http.get("/api/v1/store/menu", headers=pizza)).json()["categories"]
        for i in c["items"]
    ]
    assert new_name in names

    orderable = next(
        i for i in items if i["available"] and all(g["min"] == 0 for g in i["modifier_groups"])
    )
    ws_url = f"ws://pizza.localhost:{port}/ws/v1"
    async with websockets.connect(ws_url, host="127.0.0.1", port=port, compression=None) as ws:
        await ws.send(
            json.dumps(
                {"op": "subscribe", "channel": "kitchen", "token": login.json()["access_token"]}
            )
        )
        subscribed = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert subscribed["op"] == "subscribed", subscribed
        order = await http.post(
            "/api/v1/store/orders",
            headers=pizza | {"idempotency-key": uuid.uuid4().hex},
            json={
                "items": [{"item_id": orderable["id"], "quantity": 2, "modifiers": []}],
                "customer": {"name": "E2E"},
                "fulfillment": "pickup",
            },
        )
        assert order.status_code == 201, order.text
        event = json.loads(await asyncio.wait_for(ws.recv(), 15))
        while event.get("type") != "order.created":
            event = json.loads(await asyncio.wait_for(ws.recv(), 15))
        assert event["channel"] == "kitchen"
        assert str(order.json()["id"]) in json.dumps(event["data"])

    png = pyvips.Image.black(800, 600, bands=3).draw_rect(
        [200, 30, 30], 100, 100, 300, 200, fill=True
    )
    upload = await http.post(
        "/api/v1/media/images",
        headers=pizza | staff,
        files={"file": ("dish.png", png.pngsave_buffer(), "image/png")},
    )
    assert upload.status_code == 202, upload.text
    image_id = upload.json()["id"]
    status = None
    for _ in range(120):
        status = (await http.get(f"/api/v1/media/images/{image_id}", headers=pizza | staff)).json()
        if status["status"] != "processing":
            break
        await asyncio.sleep(0.5)
    assert status is not None
    assert status["status"] == "ready", status

    burger_menu = (await http.get("/api/v1/store/menu", headers=burger)).json()
    burger_names = {i["name"] for c in burger_menu["categories"] for i in c["items"]}
    assert new_name not in burger_names
    assert not burger_names & {i["name"] for i in items}
    order_token = {"authorization": f"Bearer {order.json()['token']}"}
    stolen = await http.get(
        f"/api/v1/store/orders/{order.json()['id']}", headers=burger | order_token
    )
    assert stolen.status_code in (403, 404)
    assert (
        await http.get(f"/api/v1/media/images/{image_id}", headers=burger | staff)
    ).status_code in (403, 404)
