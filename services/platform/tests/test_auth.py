"""Console login, its throttle, and tokens that do not stand in for one another."""

from __future__ import annotations

import secrets

import jwt
import pytest
from stelly_core.auth import PasswordHashing, issue_token, verify_token
from stelly_core.db import Database
from stelly_core.errors import ProblemError
from stelly_tenancy.platform_admins import create_platform_admin

from .conftest import ADMIN_PASSWORD, CONSOLE, Admin, Client, console_login

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


async def test_login_gives_a_console_token_of_its_own_audience(
    client: Client, admin: Admin
) -> None:
    response = await client.post(
        "/api/v1/platform/auth/token",
        json={"email": admin.email.upper(), "password": ADMIN_PASSWORD},
        headers=CONSOLE,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "stelly:platform"
    assert "tid" not in claims


async def test_wrong_credentials_get_one_answer(client: Client, admin: Admin) -> None:
    answers = []
    for email, password in ((admin.email, "wrong"), ("ghost@nowhere.example", "wrong")):
        response = await client.post(
            "/api/v1/platform/auth/token",
            json={"email": email, "password": password},
            headers=CONSOLE,
        )
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid_credentials"
        answers.append(response.json()["detail"])
    assert answers[0] == answers[1]


async def test_repeated_failures_are_throttled(
    client: Client, db: Database, hasher: PasswordHashing
) -> None:
    email = f"throttled-{secrets.token_hex(4)}@stelly.example"
    await create_platform_admin(db, email, ADMIN_PASSWORD, hasher)
    statuses = []
    for _ in range(11):
        response = await client.post(
            "/api/v1/platform/auth/token",
            json={"email": email, "password": "guess"},
            headers=CONSOLE,
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert response.json()["code"] == "too_many_attempts"
    assert int(response.headers["retry-after"]) >= 1
    right = await client.post(
        "/api/v1/platform/auth/token",
        json={"email": email, "password": ADMIN_PASSWORD},
        headers=CONSOLE,
    )
    assert right.status_code == 429
    assert right.json()["code"] == "too_many_attempts"


async def test_a_tenant_owners_token_is_refused_on_the_console(client: Client) -> None:
    owner_token = issue_token(
        TEST_SECRET, tenant_id=1, subject="1", kind="staff", ttl_seconds=600, role="owner"
    )
    for token in (owner_token, "not-a-jwt"):
        response = await client.get(
            "/api/v1/platform/tenants",
            headers={**CONSOLE, "authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid_token"
    missing = await client.get("/api/v1/platform/tenants", headers=CONSOLE)
    assert missing.status_code == 401
    assert missing.json()["code"] == "not_authenticated"


async def test_a_console_token_is_no_tenant_token(admin: Admin) -> None:
    # what every tenant's staff guard runs (stelly_tenancy.staff.require_staff)
    for tenant_id in (1, 2):
        with pytest.raises(ProblemError) as refused:
            verify_token(TEST_SECRET, admin.token, tenant_id=tenant_id, kind="staff")
        assert (refused.value.status, refused.value.code) == (401, "invalid_token")


async def test_a_deactivated_admin_is_refused_at_once(
    client: Client, db: Database, hasher: PasswordHashing
) -> None:
    email = f"leaver-{secrets.token_hex(4)}@stelly.example"
    await create_platform_admin(db, email, ADMIN_PASSWORD, hasher)
    token = await console_login(client, email, ADMIN_PASSWORD)
    headers = {**CONSOLE, "authorization": f"Bearer {token}"}
    assert (
        await client.get("/api/v1/platform/tenants?limit=1", headers=headers)
    ).status_code == 200
    async with db.platform() as conn:
        await conn.execute("UPDATE platform_admins SET active = false WHERE email = $1", email)
    refused = await client.get("/api/v1/platform/tenants?limit=1", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"


async def test_login_validation_names_the_field(client: Client) -> None:
    response = await client.post(
        "/api/v1/platform/auth/token", json={"email": "a@b.c"}, headers=CONSOLE
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
