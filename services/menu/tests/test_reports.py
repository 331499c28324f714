"""Sales reports: figures against a direct SQL aggregation, local midnight, CSV exports."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from stelly_core.db import Database

from .conftest import (
    PIZZA_ITEM,
    SIMPLE_ITEM,
    Client,
    MakeStore,
    Store,
    add_category,
    add_item,
    add_staff,
)

ROME = ZoneInfo("Europe/Rome")
SUMMARY = "/api/v1/admin/reports/summary"
EXPORT = "/api/v1/admin/reports/export"


async def insert_order(
    db: Database,
    store: Store,
    created_at: datetime,
    lines: list[tuple[int, str, int, int]],
    *,
    status: str = "completed",
    name: str = "Walk-in",
) -> int:
    """An order placed at a chosen instant, with lines (item id, name, quantity, line total)."""
    total = sum(line[3] for line in lines)
    async with db.tenant(store.tenant.schema) as conn:
        number = await conn.fetchval("SELECT coalesce(max(number), 0) + 1000 FROM orders")
        order_id: int = await conn.fetchval(
            "INSERT INTO orders (number, business_date, status, fulfillment, customer_name,"
            " total, currency, created_at, updated_at)"
            " VALUES ($1, ($2 AT TIME ZONE 'Europe/Rome')::date, $3, 'pickup', $4, $5, 'EUR',"
            " $2, $2) RETURNING id",
            number,
            created_at,
            status,
            name,
            total,
        )
        await conn.executemany(
            "INSERT INTO order_lines (order_id, position, item_id, name, unit_price, quantity,"
            " line_total) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [
                (order_id, pos, item_id, item_name, line_total // quantity, quantity, line_total)
                for pos, (item_id, item_name, quantity, line_total) in enumerate(lines)
            ],
        )
    return order_id


async def direct_figures(db: Database, store: Store, first: date, last: date) -> dict[str, Any]:
    """The same figures, written independently: local date of each order compared directly."""
    in_range = "FROM orders WHERE (created_at AT TIME ZONE 'Europe/Rome')::date BETWEEN $1 AND $2"
    async with db.tenant(store.tenant.schema) as conn:
        kept = await conn.fetchrow(
            f"SELECT count(*) AS n, coalesce(sum(total), 0) AS revenue {in_range}"
            " AND status <> 'cancelled'",
            first,
            last,
        )
        cancelled = await conn.fetchrow(
            f"SELECT count(*) AS n, coalesce(sum(total), 0) AS amount {in_range}"
            " AND status = 'cancelled'",
            first,
            last,
        )
        hours = await conn.fetch(
            "SELECT extract(hour FROM created_at AT TIME ZONE 'Europe/Rome')::int AS hour,"  # noqa: S608 - fixed SQL fragments, values are parameters
            f" count(*) AS n, sum(total) AS revenue {in_range}"
            " AND status <> 'cancelled' GROUP BY 1",
            first,
            last,
        )
        days = await conn.fetch(
            "SELECT (created_at AT TIME ZONE 'Europe/Rome')::date AS day,"
            f" count(*) AS n, sum(total) AS revenue {in_range}"
            " AND status <> 'cancelled' GROUP BY 1",
            first,
            last,
        )
        items = await conn.fetch(
            "SELECT item_id, sum(quantity) AS quantity, sum(line_total) AS revenue"  # noqa: S608 - fixed SQL fragments, values are parameters
            " FROM order_lines WHERE order_id IN (SELECT id"
            f" {in_range} AND status <> 'cancelled') GROUP BY item_id",
            first,
            last,
        )
    by_hour = {r["hour"]: (r["n"], r["revenue"]) for r in hours}
    by_day = {r["day"]: (r["n"], r["revenue"]) for r in days}
    n_days = (last - first).days + 1
    return {
        "orders": kept["n"],
        "revenue": kept["revenue"],
        "average_ticket": round(kept["revenue"] / kept["n"]) if kept["n"] else 0,
        "cancelled": {"orders": cancelled["n"], "amount": cancelled["amount"]},
        "by_hour": [
            {"hour": h, "orders": by_hour.get(h, (0, 0))[0], "revenue": by_hour.get(h, (0, 0))[1]}
            for h in range(24)
        ],
        "by_day": [
            {
                "date": str(first + timedelta(days=d)),
                "orders": by_day.get(first + timedelta(days=d), (0, 0))[0],
                "revenue": by_day.get(first + timedelta(days=d), (0, 0))[1],
            }
            for d in range(n_days)
        ],
        "items": {r["item_id"]: (r["quantity"], r["revenue"]) for r in items},
    }


async def place(client: Client, store: Store, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/store/orders",
        json=body,
        headers={**store.host, "idempotency-key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


async def summary(client: Client, store: Store, **params: str) -> Any:
    response = await client.get(SUMMARY, params=params, headers=store.auth())
    assert response.status_code == 200, response.text
    return response.json()


async def test_report_figures_equal_a_direct_aggregation(
    client: Client, make_store: MakeStore, db: Database
) -> None:
    store = await make_store(timezone="Europe/Rome")
    category = await add_category(client, store)
    fries = await add_item(client, store, category["id"], SIMPLE_ITEM)
    pizza = await add_item(client, store, category["id"], PIZZA_ITEM)
    size = pizza["modifier_groups"][0]["options"]
    # real orders through the API (now)
    await place(
        client,
        store,
        {
            "items": [
                {"item_id": pizza["id"], "quantity": 2, "modifiers": [size[1]["id"]]},
                {"item_id": fries["id"], "quantity": 3},
            ],
            "customer": {"name": "Ann"},
            "fulfillment": "pickup",
        },
    )
    gone = await place(
        client,
        store,
        {
            "items": [{"item_id": fries["id"]}],
            "customer": {"name": "Bob"},
            "fulfillment": "pickup",
        },
    )
    await client.patch(
        f"/api/v1/admin/orders/{gone['id']}", json={"status": "cancelled"}, headers=store.auth()
    )
    # orders at chosen instants around a local midnight ten days ago
    today = datetime.now(UTC).astimezone(ROME).date()
    day = today - timedelta(days=10)

    def local(d: date, hour: int, minute: int) -> datetime:
        return datetime(d.year, d.month, d.day, hour, minute, tzinfo=ROME)

    fid, pid = fries["id"], pizza["id"]
    await insert_order(db, store, local(day, 23, 59), [(pid, "Margherita", 1, 1500)])
    await insert_order(db, store, local(day + timedelta(days=1), 0, 1), [(fid, "Fries", 1, 700)])
    await insert_order(
        db, store, local(day, 10, 15), [(fid, "Fries", 2, 800), (pid, "Margherita", 1, 1200)]
    )
    await insert_order(
        db, store, local(day, 12, 30), [(pid, "Margherita", 9, 900)], status="cancelled"
    )
    await insert_order(db, store, local(day - timedelta(days=1), 23, 0), [(fid, "Fries", 1, 300)])

    # the day itself: 23:59 counts on it and in hour 23, 00:01 the next day does not
    one_day = await summary(client, store, **{"from": str(day), "to": str(day)})
    assert (one_day["orders"], one_day["revenue"], one_day["average_ticket"]) == (2, 3500, 1750)
    assert one_day["cancelled"] == {"orders": 1, "amount": 900}
    assert one_day["by_hour"][23] == {"hour": 23, "orders": 1, "revenue": 1500}
    assert one_day["by_hour"][0] == {"hour": 0, "orders": 0, "revenue": 0}
    assert one_day["by_day"] == [{"date": str(day), "orders": 2, "revenue": 3500}]
    assert (one_day["from"], one_day["to"], one_day["timezone"], one_day["currency"]) == (
        str(day),
        str(day),
        "Europe/Rome",
        "EUR",
    )
    assert [(t["item_id"], t["quantity"]) for t in one_day["top_items"]] == [(pid, 2), (fid, 2)]

    # every range against the direct aggregation
    for first, last in (
        (day, day),
        (day + timedelta(days=1), day + timedelta(days=1)),
        (day - timedelta(days=1), today),
        (today, today),
    ):
        report = await summary(client, store, **{"from": str(first), "to": str(last)})
        expected = await direct_figures(db, store, first, last)
        for key in ("orders", "revenue", "average_ticket", "cancelled", "by_hour", "by_day"):
            assert report[key] == expected[key], (first, last, key)
        assert {
            t["item_id"]: (t["quantity"], t["revenue"]) for t in report["top_items"]
        } == expected["items"]
        quantities = [(t["quantity"], t["revenue"]) for t in report["top_items"]]
        assert quantities == sorted(quantities, reverse=True)
    # the default is today
    assert (await summary(client, store))["from"] == str(today)
    assert (await summary(client, store))["orders"] == 1


async def test_csv_exports(client: Client, make_store: MakeStore, db: Database) -> None:
    store = await make_store(timezone="Europe/Rome")
    day = date(2026, 3, 2)
    evil = '=HYPERLINK("http://evil.example","x")'
    await insert_order(
        db, store, datetime(2026, 3, 2, 23, 59, tzinfo=ROME), [(7, "-Fries", 2, 800)]
    )
    await insert_order(
        db, store, datetime(2026, 3, 2, 9, 5, tzinfo=ROME), [(8, "Pizza", 1, 900)], name=evil
    )
    params = {"from": str(day), "to": str(day)}

    orders = await client.get(EXPORT, params={**params, "kind": "orders"}, headers=store.auth())
    assert orders.status_code == 200, orders.text
    assert orders.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = orders.headers["content-disposition"]
    assert disposition == (
        f'attachment; filename="{store.tenant.slug}-orders-2026-03-02-2026-03-02.csv"'
    )
    rows = list(csv.reader(io.StringIO(orders.text)))
    assert rows[0] == [
        "id",
        "number",
        "business_date",
        "local_time",
        "status",
        "fulfillment",
        "customer_name",
        "total",
        "currency",
    ]
    assert [r[3] for r in rows[1:]] == ["2026-03-02 09:05:00", "2026-03-02 23:59:00"]
    assert rows[1][6] == "'" + evil  # never a formula
    assert rows[2][6] == "Walk-in"

    hours = await client.get(EXPORT, params={**params, "kind": "hours"}, headers=store.auth())
    hour_rows = list(csv.reader(io.StringIO(hours.text)))
    assert hour_rows[0] == ["hour", "orders", "revenue"]
    assert len(hour_rows) == 25
    assert hour_rows[24] == ["23", "1", "800"]
    assert hour_rows[10] == ["9", "1", "900"]

    items = await client.get(EXPORT, params={**params, "kind": "items"}, headers=store.auth())
    item_rows = list(csv.reader(io.StringIO(items.text)))
    assert item_rows == [
        ["item_id", "name", "quantity", "revenue"],
        ["7", "'-Fries", "2", "800"],
        ["8", "Pizza", "1", "900"],
    ]
    bad = await client.get(EXPORT, params={**params, "kind": "pdf"}, headers=store.auth())
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "kind"


async def test_report_ranges_roles_and_tenants(client: Client, make_store: MakeStore) -> None:
    store, attacker = await make_store(), await make_store()
    for params, field in (
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "to"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "01/05/2026"}, "to"),
    ):
        response = await client.get(SUMMARY, params=params, headers=store.auth())
        assert response.status_code == 422, (params, response.text)
        assert response.json()["code"] == "invalid_date_range"
        assert response.json()["errors"][0]["field"] == field
    # from alone runs to today
    report = await summary(client, store, **{"from": "2026-01-01"})
    assert report["to"] >= "2026-01-01"
    assert len(report["by_day"]) == (date.fromisoformat(report["to"]) - date(2026, 1, 1)).days + 1
    manager = await add_staff(client, store, "manager")
    staff = await add_staff(client, store, "staff")
    assert (await client.get(SUMMARY, headers=store.auth(manager))).status_code == 200
    for path in (SUMMARY, f"{EXPORT}?kind=orders"):
        denied = await client.get(path, headers=store.auth(staff))
        assert denied.status_code == 403
        assert denied.json()["code"] == "insufficient_role"
        foreign = await client.get(path, headers=store.auth(attacker.token))
        assert foreign.status_code == 403
        assert foreign.json()["code"] == "token_wrong_tenant"
