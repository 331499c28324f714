"""Placing, reading and advancing orders in a tenant's schema.

Placing an order is one transaction: claim the ``Idempotency-Key`` (a
concurrent duplicate waits on the key's unique index until the first commits,
then finds its order), price the lines against the menu, take the day's next
number, write the order with a snapshot of its lines, and queue
``order.created``. A failure anywhere rolls all of it back, the key included.
Once it has committed, ``stelly.orders.created`` counts it (a replay does not).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec
from stelly_core.auth import issue_token
from stelly_core.errors import ProblemError
from stelly_core.events import enqueue_event
from stelly_core.telemetry.instruments import instruments

from stelly_menu.domain.menu.schemas import MenuOption
from stelly_menu.domain.orders.history import status_history
from stelly_menu.domain.orders.lifecycle import STATUSES, can_transition
from stelly_menu.domain.orders.pricing import (
    GroupRule,
    ItemRule,
    LineRequest,
    PricedOption,
    PricingError,
    price_lines,
)
from stelly_menu.domain.orders.schemas import (
    AdminOrderOut,
    CreatedOrder,
    Customer,
    OrderCreate,
    OrderLineOut,
    OrderOut,
)
from stelly_menu.domain.store.hours import business_date
from stelly_menu.domain.store.services import store_is_open
from stelly_menu.errors import field_problem

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stelly_core.db import DbConnection
    from stelly_tenancy.models import Tenant
    from stelly_tenancy.staff import Staff

    from stelly_menu.runtime import MenuRuntime

__all__ = [
    "IDEMPOTENCY_RETENTION",
    "ORDER_TOKEN_TTL",
    "STATUS_LIST",
    "advance_order",
    "check_idempotency_key",
    "get_admin_order",
    "get_order",
    "list_orders",
    "parse_statuses",
    "place_order",
]

ORDER_TOKEN_TTL = 7 * 24 * 3600
IDEMPOTENCY_RETENTION = timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_ORDER_NOT_FOUND = ProblemError(404, "order_not_found", "no such order")
_ORDER_COLUMNS = (
    "id, number, status, fulfillment, table_label, customer_name, customer_phone, note,"
    " total, currency, created_at, updated_at"
)


def check_idempotency_key(value: str | None) -> str:
    """The ``Idempotency-Key`` header, required: 1-200 visible ASCII characters.

    Raises:
        ProblemError: 400 ``idempotency_key_required`` / ``invalid_idempotency_key``.
    """
    if value is None or not value.strip():
        raise ProblemError(
            400,
            "idempotency_key_required",
            "send an Idempotency-Key header (a fresh UUID per order)",
        )
    if not _KEY.fullmatch(value):
        raise ProblemError(
            400, "invalid_idempotency_key", "Idempotency-Key: 1-200 visible ASCII characters"
        )
    return value


#: ``?status=``: statuses separated by commas, nothing else (empty: every status)
STATUS_LIST = f"^(({'|'.join(STATUSES)})(,({'|'.join(STATUSES)}))*)?$"


def parse_statuses(value: str | None) -> list[str]:
    """``?status=received,accepted`` as a list (empty: every status).

    Raises:
        ProblemError: 400 naming ``status`` for anything but :data:`STATUS_LIST`.
    """
    if not value:
        return []
    if re.fullmatch(STATUS_LIST, value) is None:
        raise field_problem(
            "status", f"not a list of statuses {value[:40]!r}; use {', '.join(STATUSES)}"
        )
    return value.split(",")


def _request_hash(data: OrderCreate) -> str:
    return hashlib.sha256(msgspec.json.encode(data)).hexdigest()


async def _menu_rules(conn: DbConnection, item_ids: list[int]) -> dict[int, ItemRule]:
    items = await conn.fetch(
        "SELECT id, name, price, available FROM items WHERE id = ANY($1::bigint[])", item_ids
    )
    groups = await conn.fetch(
        "SELECT id, item_id, name, min, max FROM modifier_groups WHERE item_id = ANY($1::bigint[])"
        " ORDER BY position, id",
        item_ids,
    )
    options = await conn.fetch(
        "SELECT o.id, o.group_id, o.name, o.price FROM modifier_options o"
        " JOIN modifier_groups g ON g.id = o.group_id WHERE g.item_id = ANY($1::bigint[])",
        item_ids,
    )
    by_group: dict[int, dict[int, PricedOption]] = defaultdict(dict)
    for o in options:
        by_group[o["group_id"]][o["id"]] = PricedOption(o["id"], o["name"], o["price"])
    by_item: dict[int, list[GroupRule]] = defaultdict(list)
    for g in groups:
        by_item[g["item_id"]].append(
            GroupRule(g["id"], g["name"], g["min"], g["max"], by_group[g["id"]])
        )
    return {
        r["id"]: ItemRule(r["id"], r["name"], r["price"], r["available"], by_item[r["id"]])
        for r in items
    }


async def _load_orders(conn: DbConnection, where: str, *args: Any) -> list[OrderOut]:
    rows = await conn.fetch(f"SELECT {_ORDER_COLUMNS} FROM orders {where}", *args)  # noqa: S608 - fixed
    lines = await conn.fetch(
        "SELECT order_id, item_id, name, quantity, unit_price, modifiers, note, line_total"
        " FROM order_lines WHERE order_id = ANY($1::bigint[]) ORDER BY order_id, position",
        [r["id"] for r in rows],
    )
    by_order: dict[int, list[OrderLineOut]] = defaultdict(list)
    for line in lines:
        by_order[line["order_id"]].append(
            OrderLineOut(
                item_id=line["item_id"],
                name=line["name"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                modifiers=msgspec.json.decode(line["modifiers"], type=list[MenuOption]),
                note=line["note"],
                total=line["line_total"],
            )
        )
    return [
        OrderOut(
            id=r["id"],
            number=r["number"],
            status=r["status"],
            fulfillment=r["fulfillment"],
            table=r["table_label"],
            customer=Customer(name=r["customer_name"], phone=r["customer_phone"]),
            note=r["note"],
            total=r["total"],
            currency=r["currency"],
            items=by_order[r["id"]],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
        )
        for r in rows
    ]


async def _one_order(conn: DbConnection, order_id: int) -> OrderOut:
    found = await _load_orders(conn, "WHERE id = $1", order_id)
    if not found:
        raise _ORDER_NOT_FOUND
    return found[0]


def event_data(order: OrderOut) -> dict[str, Any]:
    """What a kitchen board or the customer's tracker needs (no phone number)."""
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "fulfillment": order.fulfillment,
        "table": order.table,
        "customer_name": order.customer.name,
        "note": order.note,
        "total": order.total,
        "currency": order.currency,
        "items": [
            {
                "name": line.name,
                "quantity": line.quantity,
                "modifiers": [m.name for m in line.modifiers],
                "note": line.note,
            }
            for line in order.items
        ],
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
    }


async def _publish(conn: DbConnection, tenant_id: int, event_type: str, order: OrderOut) -> None:
    data = event_data(order)
    for channel in ("kitchen", f"order:{order.id}"):
        await enqueue_event(conn, tenant_id, channel, event_type, data)


def _with_token(runtime: MenuRuntime, tenant: Tenant, order: OrderOut) -> CreatedOrder:
    token = issue_token(
        runtime.settings.secret_key,
        tenant_id=tenant.id,
        subject=str(order.id),
        kind="order",
        ttl_seconds=ORDER_TOKEN_TTL,
    )
    return CreatedOrder(**msgspec.structs.asdict(order), token=token)


async def _insert_order(
    conn: DbConnection, tenant: Tenant, key: str, data: OrderCreate, now: datetime
) -> OrderOut:
    if not await store_is_open(conn, tenant, now):
        raise ProblemError(422, "store_closed", "the store is not taking orders right now")
    if data.fulfillment == "dine_in" and data.table is None:
        raise field_problem(
            "table", "a dine-in order needs its table", status=422, code="table_required"
        )
    requests = [LineRequest(x.item_id, x.quantity, tuple(x.modifiers), x.note) for x in data.items]
    rules = await _menu_rules(conn, sorted({x.item_id for x in data.items}))
    try:
        lines, total = price_lines(requests, rules)
    except PricingError as exc:
        raise field_problem(exc.field, str(exc), status=422, code=exc.code) from None
    # From the day's counter on, the tenant's next order waits for this
    # transaction to commit: the number, the order and its key in one
    # statement, then the lines and the events, and nothing else.
    day = business_date(tenant.timezone, now)
    row = await conn.fetchrow(
        "WITH n AS ("
        " INSERT INTO order_counters (business_date, last_number) VALUES ($1, 1)"
        " ON CONFLICT (business_date)"
        " DO UPDATE SET last_number = order_counters.last_number + 1 RETURNING last_number),"
        " o AS ("
        " INSERT INTO orders (number, business_date, fulfillment, table_label, customer_name,"
        " customer_phone, note, total, currency)"
        " SELECT n.last_number, $1, $2, $3, $4, $5, $6, $7, $8 FROM n"
        " RETURNING id, number, created_at, updated_at),"
        " k AS (UPDATE idempotency_keys SET order_id = (SELECT id FROM o) WHERE key = $9),"
        " e AS (INSERT INTO order_status_events (order_id, status, at)"
        " SELECT id, 'received', created_at FROM o)"
        " SELECT id, number, created_at, updated_at FROM o",
        day,
        data.fulfillment,
        data.table,
        data.customer.name,
        data.customer.phone,
        data.note,
        total,
        tenant.currency,
        key,
    )
    assert row is not None  # the CTE always inserts one order
    snapshots = [
        [MenuOption(id=m.id, name=m.name, price=m.price) for m in line.modifiers] for line in lines
    ]
    await conn.executemany(
        "INSERT INTO order_lines (order_id, position, item_id, name, unit_price, quantity,"
        " modifiers, note, line_total) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)",
        [
            (
                row["id"],
                pos,
                line.item_id,
                line.name,
                line.unit_price,
                line.quantity,
                msgspec.json.encode(snapshots[pos]).decode(),
                line.note,
                line.total,
            )
            for pos, line in enumerate(lines)
        ],
    )
    return OrderOut(
        id=row["id"],
        number=row["number"],
        status="received",
        fulfillment=data.fulfillment,
        table=data.table,
        customer=data.customer,
        note=data.note,
        total=total,
        currency=tenant.currency,
        items=[
            OrderLineOut(
                item_id=line.item_id,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                modifiers=snapshots[pos],
                note=line.note,
                total=line.total,
            )
            for pos, line in enumerate(lines)
        ],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def place_order(
    runtime: MenuRuntime, tenant: Tenant, key: str, data: OrderCreate
) -> tuple[CreatedOrder, bool]:
    """Place an order, or find the one this key already placed.

    Returns:
        The order with a fresh order token, and whether it was a replay.

    Raises:
        ProblemError: 409 ``idempotency_key_reused`` for the same key with a
            different body; 422 ``store_closed``, ``table_required``,
            ``unknown_item``, ``item_unavailable``, ``invalid_modifier``,
            ``modifier_choice_out_of_range``.
    """
    digest = _request_hash(data)
    now = datetime.now(UTC)
    async with runtime.db.tenant(tenant.schema) as conn:
        # a key is remembered for a day; after that it may name a new order
        await conn.execute(
            "DELETE FROM idempotency_keys WHERE key = $1 AND created_at < now() - $2::interval",
            key,
            IDEMPOTENCY_RETENTION,
        )
        claimed = await conn.fetchval(
            "INSERT INTO idempotency_keys (key, request_hash) VALUES ($1, $2)"
            " ON CONFLICT (key) DO NOTHING RETURNING key",
            key,
            digest,
        )
        if claimed is None:
            row = await conn.fetchrow(
                "SELECT request_hash, order_id FROM idempotency_keys WHERE key = $1", key
            )
            if row is None or row["order_id"] is None:  # its order was deleted meanwhile
                raise ProblemError(409, "idempotency_key_reused", "this key cannot be used again")
            if row["request_hash"] != digest:
                raise ProblemError(
                    409,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different order",
                )
            order = await _one_order(conn, row["order_id"])
            return _with_token(runtime, tenant, order), True
        order = await _insert_order(conn, tenant, key, data, now)
        await _publish(conn, tenant.id, "order.created", order)
    instruments().orders_created.add(1, {"stelly.order.fulfillment": data.fulfillment})
    return _with_token(runtime, tenant, order), False


async def get_order(runtime: MenuRuntime, tenant: Tenant, order_id: int) -> OrderOut:
    async with runtime.db.tenant(tenant.schema) as conn:
        return await _one_order(conn, order_id)


async def get_admin_order(runtime: MenuRuntime, tenant: Tenant, order_id: int) -> AdminOrderOut:
    """The order with every status it took (who set it, when): for staff only."""
    async with runtime.db.tenant(tenant.schema) as conn:
        order = await _one_order(conn, order_id)
        changes = await status_history(conn, order_id)
    return AdminOrderOut(**msgspec.structs.asdict(order), status_history=changes)


async def list_orders(
    runtime: MenuRuntime, tenant: Tenant, statuses: Sequence[str], limit: int
) -> list[OrderOut]:
    """The newest orders first, narrowed to ``statuses`` when given."""
    async with runtime.db.tenant(tenant.schema) as conn:
        if statuses:
            return await _load_orders(
                conn,
                "WHERE status = ANY($1::text[]) ORDER BY id DESC LIMIT $2",
                list(statuses),
                limit,
            )
        return await _load_orders(conn, "ORDER BY id DESC LIMIT $1", limit)


async def advance_order(
    runtime: MenuRuntime, tenant: Tenant, order_id: int, status: str, by: Staff | None = None
) -> OrderOut:
    """Move an order along its lifecycle, record who did, and queue ``order.updated``.

    Raises:
        ProblemError: 404 ``order_not_found``; 409 ``illegal_transition``.
    """
    async with runtime.db.tenant(tenant.schema) as conn:
        current = await conn.fetchval(
            "SELECT status FROM orders WHERE id = $1 FOR UPDATE", order_id
        )
        if current is None:
            raise _ORDER_NOT_FOUND
        if not can_transition(current, status):
            raise ProblemError(
                409,
                "illegal_transition",
                f"an order that is {current} cannot become {status}",
                extra={"from": current, "to": status},
            )
        await conn.execute(
            "UPDATE orders SET status = $2, updated_at = now() WHERE id = $1", order_id, status
        )
        await conn.execute(
            "INSERT INTO order_status_events (order_id, status, by_user_id, by_email)"
            " VALUES ($1, $2, $3, $4)",
            order_id,
            status,
            None if by is None else by.id,
            None if by is None else by.email,
        )
        order = await _one_order(conn, order_id)
        await _publish(conn, tenant.id, "order.updated", order)
    return order
