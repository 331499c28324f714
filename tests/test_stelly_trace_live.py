"""End to end: an order placed through the gateway of the `make run` stack, read back with `stelly trace`.

Everything is real: the stack ``stelly dev`` starts (embedded PostgreSQL and
Valkey, Azurite, every service in its own process, the gateway), whose
processes write every trace to ``{state dir}/traces``; the ``stelly``
command runs as a user would run it, from another process.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
from stelly_cli.devstack import RunningStack, running_stack

#: The processes write spans in batches every 5 s; this only bounds a hung run.
PATIENCE = 60.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("traced")) as running:
        yield running


def stelly(stack: RunningStack, *args: str) -> subprocess.CompletedProcess[str]:
    """The ``stelly`` command from another terminal of the same checkout."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STELLY_", "KZ_"))}
    return subprocess.run(
        [sys.executable, "-m", "stelly_cli", *args],
        env=base | {"STELLY_STATE_DIR": str(stack.state_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def processes(spans: list[dict[str, Any]]) -> set[str]:
    """What the waterfall's process column tells apart: service processes and database peers."""
    found = set()
    for span in spans:
        attributes = span.get("attributes", {})
        system = attributes.get("db.system.name") or attributes.get("db.system")
        if span["kind"] == "client" and system:
            address = attributes.get("server.address") or attributes.get("net.peer.name")
            found.add(f"{system} {address}")
        else:
            found.add(f"{span['service']}[{span['pid']}]")
    return found


async def place_order_while_the_kitchen_listens(stack: RunningStack) -> str:
    """Place an order with a kitchen socket open (so realtime delivers it); its X-Request-Id."""
    port = stack.ports["gateway"]
    pizza = {"host": stack.host("pizza")}
    async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as http:
        menu = (await http.get("/api/v1/store/menu", headers=pizza)).json()
        item = next(
            i
            for c in menu["categories"]
            for i in c["items"]
            if i["available"] and all(g["min"] == 0 for g in i["modifier_groups"])
        )
        login = await http.post(
            "/api/v1/auth/token",
            headers=pizza,
            json={"email": "owner@pizza.demo", "password": "stelly-demo"},
        )
        assert login.status_code == 200, login.text
        url = f"ws://pizza.localhost:{port}/ws/v1"
        async with websockets.connect(url, host="127.0.0.1", port=port, compression=None) as ws:
            token = login.json()["access_token"]
            await ws.send(json.dumps({"op": "subscribe", "channel": "kitchen", "token": token}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["op"] == "subscribed"
            order = await http.post(
                "/api/v1/store/orders",
                headers=pizza | {"idempotency-key": uuid.uuid4().hex},
                json={
                    "items": [{"item_id": item["id"], "quantity": 1, "modifiers": []}],
                    "customer": {"name": "Traced"},
                    "fulfillment": "pickup",
                },
            )
            assert order.status_code == 201, order.text
            event = json.loads(await asyncio.wait_for(ws.recv(), 15))
            while event.get("type") != "order.created":
                event = json.loads(await asyncio.wait_for(ws.recv(), 15))
    return str(order.headers["x-request-id"])


async def test_an_orders_trace_spans_the_gateway_the_services_and_the_databases(
    stack: RunningStack,
) -> None:
    request_id = await place_order_while_the_kitchen_listens(stack)

    # each process writes its spans in batches: ask until every part is on disk
    wanted = ("gateway[", "menu[", "realtime[", "postgresql ", "redis ")
    deadline = time.monotonic() + PATIENCE
    while True:
        answer = stelly(stack, "trace", request_id, "--json")
        spans: list[dict[str, Any]] = json.loads(answer.stdout) if answer.returncode == 0 else []
        seen = processes(spans)
        if all(any(part in p for p in seen) for part in wanted):
            break
        assert time.monotonic() < deadline, (answer.returncode, answer.stderr, seen)
        await asyncio.sleep(1)

    assert len(seen) >= 4
    trace_id = spans[0]["trace_id"]
    assert {s["trace_id"] for s in spans} == {trace_id}
    assert any(s["attributes"].get("stelly.request_id") == request_id for s in spans)

    # by trace id too, as the waterfall
    shown = stelly(stack, "trace", trace_id)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(f"trace {trace_id}  ")
    rows = lines[2:]
    assert any("postgresql " in row for row in rows)
    assert any("realtime" in row for row in rows)
    assert any("POST /api/v1/store/orders" in row for row in rows)

    unknown = stelly(stack, "trace", uuid.uuid4().hex)
    assert unknown.returncode == 1 and "no trace" in unknown.stderr
