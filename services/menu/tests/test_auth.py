"""Staff login, throttling, tokens, roles and users."""

from __future__ import annotations

import jwt
from stelly_core.auth import issue_token

from .conftest import OWNER_PASSWORD, Client, MakeStore, add_staff, login

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


async def test_login_returns_a_bearer_token(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    response = await client.post(
        "/api/v1/auth/token",
        json={"email": store.owner_email.upper(), "password": OWNER_PASSWORD},
        headers=store.host,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["tid"] == store.tenant.id
    assert claims["role"] == "owner"


async def test_wrong_credentials_get_one_answer(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    wrong_password = await client.post(
        "/api/v1/auth/token",
        json={"email": store.owner_email, "password": "nope"},
        headers=store.host,
    )
    unknown_email = await client.post(
        "/api/v1/auth/token",
        json={"email": "ghost@nowhere.example", "password": "nope"},
        headers=store.host,
    )
    empty_email = await client.post(
        "/api/v1/auth/token", json={"email": "", "password": "nope"}, headers=store.host
    )
    for response in (wrong_password, unknown_email, empty_email):
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "invalid_credentials"
    assert wrong_password.json()["detail"] == unknown_email.json()["detail"]


async def test_repeated_failures_are_throttled_with_retry_after(
    client: Client, make_store: MakeStore
) -> None:
    store = await make_store()
    statuses = []
    for _ in range(11):
        response = await client.post(
            "/api/v1/auth/token",
            json={"email": store.owner_email, "password": "guess"},
            headers=store.host,
        )
        statuses.append(response.status_code)
    # the fixture's own login was the first of the account's 10 attempts
    assert statuses[:9] == [401] * 9
    assert statuses[9:] == [429, 429]
    assert statuses[-1] == 429
    assert response.json()["code"] == "too_many_attempts"
    assert int(response.headers["retry-after"]) >= 1
    # even the right password waits while throttled
    right = await client.post(
        "/api/v1/auth/token",
        json={"email": store.owner_email, "password": OWNER_PASSWORD},
        headers=store.host,
    )
    assert right.status_code == 429


async def test_login_validation_names_the_field(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    response = await client.post("/api/v1/auth/token", json={"email": "a@b.c"}, headers=store.host)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "password" in response.text


async def test_admin_routes_need_a_valid_token(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    missing = await client.get("/api/v1/admin/categories", headers=store.host)
    assert missing.status_code == 401
    assert missing.json()["code"] == "not_authenticated"
    garbage = await client.get("/api/v1/admin/categories", headers=store.auth("not-a-jwt"))
    assert garbage.status_code == 401
    assert garbage.json()["code"] == "invalid_token"
    expired = issue_token(
        TEST_SECRET, tenant_id=store.tenant.id, subject="1", kind="staff", ttl_seconds=-60
    )
    assert (
        await client.get("/api/v1/admin/categories", headers=store.auth(expired))
    ).status_code == 401
    order_kind = issue_token(
        TEST_SECRET, tenant_id=store.tenant.id, subject="1", kind="order", ttl_seconds=60
    )
    assert (
        await client.get("/api/v1/admin/categories", headers=store.auth(order_kind))
    ).status_code == 401
    unknown_user = issue_token(
        TEST_SECRET, tenant_id=store.tenant.id, subject="999999", kind="staff", ttl_seconds=60
    )
    response = await client.get("/api/v1/admin/categories", headers=store.auth(unknown_user))
    assert response.status_code == 401
    # auth is checked before the body: no schema is revealed to strangers
    anonymous_post = await client.post("/api/v1/admin/categories", json={}, headers=store.host)
    assert anonymous_post.status_code == 401


async def test_roles(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    manager = await add_staff(client, store, "manager")
    staff = await add_staff(client, store, "staff")
    # staff: orders and availability, not the menu or users
    assert (await client.get("/api/v1/admin/orders", headers=store.auth(staff))).status_code == 200
    denied = await client.post(
        "/api/v1/admin/categories", json={"name": "X"}, headers=store.auth(staff)
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "insufficient_role"
    assert (await client.get("/api/v1/admin/store", headers=store.auth(staff))).status_code == 403
    # manager: menu and store settings; lists users, creates staff accounts only
    assert (
        await client.post(
            "/api/v1/admin/categories", json={"name": "X"}, headers=store.auth(manager)
        )
    ).status_code == 201
    assert (await client.get("/api/v1/admin/store", headers=store.auth(manager))).status_code == 200
    assert (await client.get("/api/v1/admin/users", headers=store.auth(manager))).status_code == 200
    promoted = await client.post(
        "/api/v1/admin/users",
        json={"email": "boss@x.example", "password": "long-enough", "role": "manager"},
        headers=store.auth(manager),
    )
    assert promoted.status_code == 403
    assert promoted.json()["code"] == "insufficient_role"
    assert (await client.get("/api/v1/admin/users", headers=store.auth(staff))).status_code == 403
    # owner: users
    users = await client.get("/api/v1/admin/users", headers=store.auth())
    assert users.status_code == 200
    assert sorted(u["role"] for u in users.json()) == ["manager", "owner", "staff"]
    assert all("password" not in str(u) for u in users.json())


async def test_user_creation_errors(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    body = {"email": "cook@x.example", "password": "long-enough", "role": "staff"}
    assert (
        await client.post("/api/v1/admin/users", json=body, headers=store.auth())
    ).status_code == 201
    again = await client.post(
        "/api/v1/admin/users", json={**body, "email": "COOK@x.example"}, headers=store.auth()
    )
    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"
    for field, bad in (("role", "chef"), ("password", "short"), ("email", "no-at-sign")):
        response = await client.post(
            "/api/v1/admin/users", json={**body, field: bad}, headers=store.auth()
        )
        assert response.status_code == 400, (field, response.text)
        assert response.json()["errors"][0]["field"] == field
    new_user_token = await login(client, store.host, "cook@x.example", "long-enough")
    assert new_user_token


async def test_a_token_is_refused_once_its_user_is_deactivated(
    client: Client, make_store: MakeStore, db: object
) -> None:
    from stelly_core.db import Database

    assert isinstance(db, Database)
    store = await make_store()
    staff = await add_staff(client, store, "staff")
    async with db.tenant(store.tenant.schema) as conn:
        await conn.execute("UPDATE staff_users SET active = false WHERE role = 'staff'")
    response = await client.get("/api/v1/admin/orders", headers=store.auth(staff))
    assert response.status_code == 401
