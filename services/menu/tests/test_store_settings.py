"""Opening-hours exceptions, the closed-now switch and ``store.updated`` through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from .conftest import (
    SIMPLE_ITEM,
    Client,
    MakeStore,
    Store,
    add_category,
    add_item,
    add_staff,
    stream_events,
)


def local_today(timezone: str) -> datetime:
    return datetime.now(UTC).astimezone(ZoneInfo(timezone))


async def place(client: Client, store: Store, item_id: int) -> Any:
    return await client.post(
        "/api/v1/store/orders",
        json={
            "items": [{"item_id": item_id}],
            "customer": {"name": "Ada"},
            "fulfillment": "pickup",
        },
        headers={**store.host, "idempotency-key": str(uuid.uuid4())},
    )


async def test_exceptions_and_closed_now_round_trip(client: Client, make_store: MakeStore) -> None:
    store = await make_store(timezone="Europe/Rome")
    today = local_today("Europe/Rome").date()
    exceptions = [
        {"date": str(today + timedelta(days=40)), "intervals": [], "note": "far away"},
        {
            "date": str(today + timedelta(days=2)),
            "intervals": [{"open": "18:00", "close": "02:00"}],
        },
        {"date": str(today - timedelta(days=3)), "intervals": []},
    ]
    response = await client.patch(
        "/api/v1/admin/store",
        json={"hours_exceptions": exceptions, "closed_now": True},
        headers=store.auth(),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["closed_now"] is True
    # stored by date, notes kept
    assert [e["date"] for e in body["hours_exceptions"]] == sorted(e["date"] for e in exceptions)
    assert body["hours_exceptions"][-1]["note"] == "far away"
    assert (await client.get("/api/v1/admin/store", headers=store.auth())).json() == body

    public = (await client.get("/api/v1/store", headers=store.host)).json()
    assert public["is_open"] is False
    assert public["closed_now"] is True
    assert public["next_change_at"] is None  # the switch stays until switched off
    assert public["opening_hours"] is None
    # only the exceptions from today to today + 30 days
    assert [e["date"] for e in public["hours_exceptions"]] == [str(today + timedelta(days=2))]
    assert public["hours_exceptions"][0]["intervals"] == [{"open": "18:00", "close": "02:00"}]

    # switching off: open again (around the clock), the next change is the closed date
    # in 40 days, beyond the 7-day horizon
    off = await client.patch(
        "/api/v1/admin/store", json={"closed_now": False}, headers=store.auth()
    )
    assert off.json()["closed_now"] is False
    assert len(off.json()["hours_exceptions"]) == 3  # untouched
    public = (await client.get("/api/v1/store", headers=store.host)).json()
    assert public["is_open"] is True
    # the exception in two days runs 18:00-02:00: the store closes at the start of that day
    expected = datetime.combine(today + timedelta(days=2), datetime.min.time()).replace(
        tzinfo=ZoneInfo("Europe/Rome")
    )
    assert datetime.fromisoformat(public["next_change_at"]) == expected.astimezone(UTC)
    assert public["next_change_at"].endswith("Z")


async def test_orders_are_refused_while_closed_now_or_closed_by_an_exception(
    client: Client, make_store: MakeStore
) -> None:
    store = await make_store(timezone="America/New_York")
    category = await add_category(client, store)
    item = await add_item(client, store, category["id"], SIMPLE_ITEM)
    assert (await place(client, store, item["id"])).status_code == 201

    await client.patch("/api/v1/admin/store", json={"closed_now": True}, headers=store.auth())
    refused = await place(client, store, item["id"])
    assert refused.status_code == 422
    assert refused.json()["code"] == "store_closed"

    today = str(local_today("America/New_York").date())
    await client.patch(
        "/api/v1/admin/store",
        json={"closed_now": False, "hours_exceptions": [{"date": today, "intervals": []}]},
        headers=store.auth(),
    )
    refused = await place(client, store, item["id"])
    assert refused.status_code == 422
    assert refused.json()["code"] == "store_closed"
    assert (await client.get("/api/v1/store", headers=store.host)).json()["is_open"] is False

    every_minute = [{"date": today, "intervals": [{"open": "00:00", "close": "24:00"}]}]
    await client.patch(
        "/api/v1/admin/store",
        json={"opening_hours": {}, "hours_exceptions": every_minute},
        headers=store.auth(),
    )
    # weekly hours say closed every day; today's exception opens it
    assert (await place(client, store, item["id"])).status_code == 201


async def test_exception_validation_names_the_field(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    cases: list[tuple[Any, int, str]] = [
        (
            [{"date": "2026-12-24", "intervals": []}, {"date": "2026-12-24", "intervals": []}],
            422,
            "hours_exceptions[1].date",
        ),
        ([{"date": "2026-02-30", "intervals": []}], 422, "hours_exceptions[0].date"),
        (
            [{"date": "2026-12-24", "intervals": [{"open": "24:00", "close": "01:00"}]}],
            400,
            "hours_exceptions[0].intervals[0].open",
        ),
        (
            [{"date": f"2027-01-{d:02d}", "intervals": []} for d in range(1, 32)] * 4,
            422,
            "hours_exceptions",
        ),
        ([{"date": "24/12/2026", "intervals": []}], 400, "hours_exceptions[0].date"),
        ([{"date": "2026-12-24"}], 400, "hours_exceptions[0].intervals"),
    ]
    for exceptions, status, field in cases:
        response = await client.patch(
            "/api/v1/admin/store", json={"hours_exceptions": exceptions}, headers=store.auth()
        )
        assert response.status_code == status, (field, response.text)
        body = response.json()
        assert body["errors"][0]["field"] == field, body
        if status == 422:
            assert body["code"] == "invalid_hours_exception"
    assert (await client.get("/api/v1/admin/store", headers=store.auth())).json()[
        "hours_exceptions"
    ] == []


async def test_every_settings_change_publishes_store_updated(
    client: Client, make_store: MakeStore, redis: Redis, relay: object
) -> None:
    store = await make_store()
    await client.patch("/api/v1/admin/store", json={"closed_now": True}, headers=store.auth())
    await client.patch("/api/v1/admin/store", json={"name": "Renamed"}, headers=store.auth())
    await client.patch("/api/v1/admin/store", json={"closed_now": False}, headers=store.auth())
    events = await stream_events(redis, store.tenant.id, "menu", 3)
    updates = [data for kind, data in events if kind == "store.updated"]
    assert updates == [
        {"is_open": False, "closed_now": True},
        {"is_open": False, "closed_now": True},
        {"is_open": True, "closed_now": False},
    ]


async def test_only_owners_and_managers_change_the_store(
    client: Client, make_store: MakeStore
) -> None:
    store = await make_store()
    staff = await add_staff(client, store, "staff")
    manager = await add_staff(client, store, "manager")
    denied = await client.patch(
        "/api/v1/admin/store", json={"closed_now": True}, headers=store.auth(staff)
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "insufficient_role"
    allowed = await client.patch(
        "/api/v1/admin/store", json={"closed_now": True}, headers=store.auth(manager)
    )
    assert allowed.status_code == 200
    assert allowed.json()["closed_now"] is True
