"""Menu migration 0002 on a store that already has orders: the status history is backfilled."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_tenancy.migrations import tenant_migrations
from stelly_tenancy.migrator import migrate
from stelly_tenancy.provisioning import NewTenant, create_tenant


async def test_existing_orders_get_one_received_row_at_their_creation(
    db: Database, hasher: PasswordHashing
) -> None:
    before = [m for m in tenant_migrations() if (m.component, m.version) != ("menu", 2)]
    tenant = await create_tenant(
        db,
        NewTenant(slug="pre" + secrets.token_hex(4), name="Before"),
        hasher=hasher,
        migrations=before,
    )
    placed = datetime(2026, 5, 1, 19, 30, tzinfo=UTC)
    async with db.tenant(tenant.schema) as conn:
        order_id = await conn.fetchval(
            "INSERT INTO orders (number, business_date, status, fulfillment, customer_name,"
            " total, currency, created_at) VALUES (1, '2026-05-01', 'completed', 'pickup',"
            " 'Old', 500, 'EUR', $1) RETURNING id",
            placed,
        )
    report = await migrate(db)
    assert report.ok, report.failed
    assert "menu/0002_staff_app" in report.applied[tenant.slug]
    async with db.tenant(tenant.schema) as conn:
        rows = await conn.fetch(
            "SELECT status, at, by_user_id FROM order_status_events WHERE order_id = $1",
            order_id,
        )
        settings = await conn.fetchrow("SELECT hours_exceptions, closed_now FROM store_settings")
    assert [(r["status"], r["at"], r["by_user_id"]) for r in rows] == [("received", placed, None)]
    assert settings is not None
    assert (settings["hours_exceptions"], settings["closed_now"]) == ("[]", False)
