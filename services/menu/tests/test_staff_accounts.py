"""Staff accounts: invitations, links, disabling, resets, roles, from the attacker's side too."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from stelly_core.auth import issue_token
from stelly_core.localstack import free_port
from stelly_core.settings import Settings
from stelly_menu.app import create_app
from stelly_tenancy.invalidation import CHANNEL, StaffRevoked, parse_staff_revoked

from .conftest import OWNER_PASSWORD, Client, MakeStore, Store, add_staff, login

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
NEW_PASSWORD = "a-brand-new-password"


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def invite(
    client: Client, store: Store, role: str = "staff", token: str | None = None, **headers: str
) -> Any:
    return await client.post(
        "/api/v1/admin/users/invitations",
        json={"email": f"{role}-{secrets.token_hex(3)}@x.example", "role": role},
        headers={**store.auth(token), **headers},
    )


async def accept(client: Client, store: Store, token: str, password: str = NEW_PASSWORD) -> Any:
    return await client.post(
        "/api/v1/auth/accept", json={"token": token, "password": password}, headers=store.host
    )


async def users_of(client: Client, store: Store) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/admin/users", headers=store.auth())
    assert response.status_code == 200, response.text
    return {u["email"]: u for u in response.json()}


async def test_invitation_accept_and_me(
    client: Client, make_store: MakeStore, caplog: pytest.LogCaptureFixture
) -> None:
    store = await make_store()
    with caplog.at_level(logging.WARNING, logger="stelly.menu.staff"):
        response = await invite(client, store, "manager")
    assert response.status_code == 201, response.text
    body = response.json()
    user = body["user"]
    assert (user["role"], user["status"], user["last_login_at"]) == ("manager", "invited", None)
    assert user["created_at"].endswith("Z")
    assert body["expires_at"].endswith("Z")
    url = body["invite_url"]
    assert url.startswith(f"http://{store.tenant.slug}.localhost/admin/accept?token=")
    # printed to the console (no mail server): the e-mail and the link
    assert any(user["email"] in r.getMessage() and url in r.getMessage() for r in caplog.records)
    claims = jwt.decode(token_of(url), options={"verify_signature": False})
    assert claims["aud"] == "stelly:invite"
    assert claims["tid"] == store.tenant.id
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600

    # an invited account cannot sign in before accepting
    for guess in ("!", "x", NEW_PASSWORD):
        denied = await client.post(
            "/api/v1/auth/token",
            json={"email": user["email"], "password": guess},
            headers=store.host,
        )
        assert denied.status_code == 401
        assert denied.json()["code"] == "invalid_credentials"

    accepted = await accept(client, store, token_of(url))
    assert accepted.status_code == 200, accepted.text
    access = accepted.json()["access_token"]
    assert accepted.json()["token_type"] == "bearer"
    me = await client.get("/api/v1/auth/me", headers=store.auth(access))
    assert me.status_code == 200
    assert me.json() == {"id": user["id"], "email": user["email"], "role": "manager"}
    listed = (await users_of(client, store))[user["email"]]
    assert listed["status"] == "active"
    assert listed["last_login_at"].endswith("Z")
    assert await login(client, store.host, user["email"], NEW_PASSWORD)

    # the link is single-use
    replay = await accept(client, store, token_of(url), "another-password")
    assert replay.status_code == 400
    assert replay.json()["code"] == "invalid_token"
    # the same e-mail again
    again = await client.post(
        "/api/v1/admin/users/invitations",
        json={"email": user["email"].upper(), "role": "staff"},
        headers=store.auth(),
    )
    assert again.status_code == 409
    assert again.json()["code"] == "user_exists"


async def test_link_follows_the_client_scheme_and_port(
    client: Client, make_store: MakeStore
) -> None:
    store = await make_store()
    host = f"{store.tenant.slug}.localhost"
    with_port = await invite(client, store, origin=f"http://{host}:8080")
    assert with_port.json()["invite_url"].startswith(f"http://{host}:8080/admin/accept?token=")
    https = await invite(client, store, **{"x-forwarded-proto": "https"})
    assert https.json()["invite_url"].startswith(f"https://{host}/admin/accept?token=")
    # an Origin naming another host is never used
    evil = await invite(client, store, origin="https://evil.example")
    assert evil.json()["invite_url"].startswith(f"http://{host}/admin/accept?token=")


async def test_bad_links_are_one_400_and_tokens_do_not_cross_kinds(
    client: Client, make_store: MakeStore
) -> None:
    store, other = await make_store(), await make_store()
    link = token_of((await invite(client, store)).json()["invite_url"])
    other_link = token_of((await invite(client, other)).json()["invite_url"])
    user_id = jwt.decode(link, options={"verify_signature": False})["sub"]
    expired = issue_token(
        TEST_SECRET,
        tenant_id=store.tenant.id,
        subject=user_id,
        kind="invite",
        ttl_seconds=-60,
        nonce="x",
    )
    forged_nonce = issue_token(
        TEST_SECRET,
        tenant_id=store.tenant.id,
        subject=user_id,
        kind="invite",
        ttl_seconds=600,
        nonce="not-the-recorded-one",
    )
    head, payload, signature = link.split(".")
    tampered = f"{head}.{payload}.{signature[:-4]}AAAA"
    for bad in (other_link, expired, forged_nonce, tampered, store.token, "garbage"):
        response = await accept(client, store, bad)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_token"
        assert (
            response.json()["detail"]
            == "this link is invalid, expired or already used; ask for a new one"
        )
    # an invitation token is not an access token
    for path in ("/api/v1/admin/orders", "/api/v1/auth/me"):
        as_bearer = await client.get(path, headers=store.auth(link))
        assert as_bearer.status_code == 401, path
        assert as_bearer.json()["code"] == "invalid_token"
    # the genuine link still works after all that, once
    assert (await accept(client, store, link)).status_code == 200
    short = await accept(client, store, other_link, "short")
    assert short.status_code == 400
    assert short.json()["errors"][0]["field"] == "password"


async def test_disabling_stops_tokens_at_once_on_every_instance(
    client: Client, make_store: MakeStore, settings: Settings
) -> None:
    store = await make_store()
    staff_token = await add_staff(client, store, "staff")
    staff_id = (await client.get("/api/v1/auth/me", headers=store.auth(staff_token))).json()["id"]
    async with AsyncTestClient(create_app(settings, relay=False)) as replica:
        assert (
            await replica.get("/api/v1/admin/orders", headers=store.auth(staff_token))
        ).status_code == 200
        disabled = await client.post(
            f"/api/v1/admin/users/{staff_id}/disable", headers=store.auth()
        )
        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["status"] == "disabled"
        for app_client in (replica, client):
            refused = await app_client.get("/api/v1/admin/orders", headers=store.auth(staff_token))
            assert refused.status_code == 401
            assert refused.json()["code"] == "invalid_token"
        enabled = await replica.post(f"/api/v1/admin/users/{staff_id}/enable", headers=store.auth())
        assert enabled.json()["status"] == "active"
        # the old token stays dead; signing in again works
        assert (
            await client.get("/api/v1/admin/orders", headers=store.auth(staff_token))
        ).status_code == 401
    users = await users_of(client, store)
    email = next(e for e, u in users.items() if u["id"] == staff_id)
    fresh = await login(client, store.host, email, "staff-password")
    assert (await client.get("/api/v1/admin/orders", headers=store.auth(fresh))).status_code == 200


async def _notices(pubsub: PubSub, tenant_id: int) -> list[StaffRevoked]:
    """The staff revocations of ``tenant_id`` heard until the channel is quiet for 0.5 s."""
    heard = []
    while message := await pubsub.get_message(timeout=0.5):
        notice = parse_staff_revoked(message["data"]) if message["type"] == "message" else None
        if notice is not None and notice.tenant_id == tenant_id:
            heard.append(notice)
    return heard


async def test_disabling_and_resets_announce_the_revocation_to_realtime(
    client: Client, make_store: MakeStore, redis: Redis
) -> None:
    store = await make_store()
    staff_token = await add_staff(client, store, "staff")
    staff_id = (await client.get("/api/v1/auth/me", headers=store.auth(staff_token))).json()["id"]
    tenant_id = store.tenant.id
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(CHANNEL)
        await client.post(f"/api/v1/admin/users/{staff_id}/disable", headers=store.auth())
        assert await _notices(pubsub, tenant_id) == [StaffRevoked(tenant_id, staff_id, 1)]
        # enabling revokes nothing
        await client.post(f"/api/v1/admin/users/{staff_id}/enable", headers=store.auth())
        assert await _notices(pubsub, tenant_id) == []
        reset = await client.post(
            f"/api/v1/admin/users/{staff_id}/password-reset", headers=store.auth()
        )
        assert await _notices(pubsub, tenant_id) == [StaffRevoked(tenant_id, staff_id, 2)]
        # accepting the link ends what was signed in with the old password meanwhile
        assert (await accept(client, store, token_of(reset.json()["reset_url"]))).status_code == 200
        assert await _notices(pubsub, tenant_id) == [StaffRevoked(tenant_id, staff_id, 3)]


async def test_disabling_works_while_redis_is_down(
    client: Client, make_store: MakeStore, settings: Settings
) -> None:
    # the notice is lost (realtime's sweep ends the subscriptions later); the request is not
    store = await make_store()
    staff_token = await add_staff(client, store, "staff")
    staff_id = (await client.get("/api/v1/auth/me", headers=store.auth(staff_token))).json()["id"]
    nowhere = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    async with AsyncTestClient(create_app(nowhere, relay=False)) as cut_off:
        disabled = await cut_off.post(
            f"/api/v1/admin/users/{staff_id}/disable", headers=store.auth()
        )
        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["status"] == "disabled"
        reset = await cut_off.post(
            f"/api/v1/admin/users/{staff_id}/password-reset", headers=store.auth()
        )
        assert reset.status_code == 200, reset.text
    refused = await client.get("/api/v1/auth/me", headers=store.auth(staff_token))
    assert refused.status_code == 401


async def test_password_reset(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    manager_token = await add_staff(client, store, "manager")
    me = (await client.get("/api/v1/auth/me", headers=store.auth(manager_token))).json()
    first = await client.post(
        f"/api/v1/admin/users/{me['id']}/password-reset", headers=store.auth()
    )
    assert first.status_code == 200, first.text
    # the user's tokens stop working now
    assert (
        await client.get("/api/v1/auth/me", headers=store.auth(manager_token))
    ).status_code == 401
    second = await client.post(
        f"/api/v1/admin/users/{me['id']}/password-reset", headers=store.auth()
    )
    claims = jwt.decode(token_of(second.json()["reset_url"]), options={"verify_signature": False})
    assert claims["aud"] == "stelly:reset"
    assert claims["exp"] - claims["iat"] == 24 * 3600
    # a newer link replaces the older one
    assert (await accept(client, store, token_of(first.json()["reset_url"]))).status_code == 400
    assert (await accept(client, store, token_of(second.json()["reset_url"]))).status_code == 200
    assert await login(client, store.host, me["email"], NEW_PASSWORD)
    old = await client.post(
        "/api/v1/auth/token",
        json={"email": me["email"], "password": "staff-password"},
        headers=store.host,
    )
    assert old.status_code == 401


async def test_a_disabled_account_cannot_use_its_link(
    client: Client, make_store: MakeStore
) -> None:
    store = await make_store()
    body = (await invite(client, store)).json()
    await client.post(f"/api/v1/admin/users/{body['user']['id']}/disable", headers=store.auth())
    assert (await users_of(client, store))[body["user"]["email"]]["status"] == "disabled"
    response = await accept(client, store, token_of(body["invite_url"]))
    assert response.status_code == 400
    # enabled again, it is an invitation waiting to be accepted
    await client.post(f"/api/v1/admin/users/{body['user']['id']}/enable", headers=store.auth())
    assert (await users_of(client, store))[body["user"]["email"]]["status"] == "invited"
    assert (await accept(client, store, token_of(body["invite_url"]))).status_code == 200


async def test_roles_on_accounts(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    manager = await add_staff(client, store, "manager")
    other_manager = await add_staff(client, store, "manager")
    staff = await add_staff(client, store, "staff")
    users = await users_of(client, store)
    ids = {u["role"]: u["id"] for u in users.values()}  # one id per role is enough
    manager_ids = [u["id"] for u in users.values() if u["role"] == "manager"]
    owner_id = ids["owner"]
    staff_id = ids["staff"]

    # staff: nothing
    for method, path in (
        ("GET", "/api/v1/admin/users"),
        ("POST", f"/api/v1/admin/users/{staff_id}/disable"),
        ("POST", f"/api/v1/admin/users/{staff_id}/enable"),
        ("POST", f"/api/v1/admin/users/{staff_id}/password-reset"),
    ):
        response = await client.request(method, path, headers=store.auth(staff))
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "insufficient_role"
    assert (await invite(client, store, "staff", staff)).status_code == 403

    # manager: staff accounts only
    assert (await client.get("/api/v1/admin/users", headers=store.auth(manager))).status_code == 200
    assert (await invite(client, store, "staff", manager)).status_code == 201
    refused = await invite(client, store, "manager", manager)
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_role"
    manager_id = (await client.get("/api/v1/auth/me", headers=store.auth(manager))).json()["id"]
    for target in (owner_id, *manager_ids):
        for action in ("disable", "enable", "password-reset"):
            response = await client.post(
                f"/api/v1/admin/users/{target}/{action}", headers=store.auth(manager)
            )
            assert response.status_code == 403, (target, action)
            own = target == manager_id and action != "enable"
            expected = "cannot_change_self" if own else "insufficient_role"
            assert response.json()["code"] == expected, (target, action)
    assert (
        await client.post(
            f"/api/v1/admin/users/{staff_id}/password-reset", headers=store.auth(manager)
        )
    ).status_code == 200
    assert (
        await client.post(f"/api/v1/admin/users/{staff_id}/disable", headers=store.auth(manager))
    ).status_code == 200
    # owners cannot be invited at all
    owner_invite = await client.post(
        "/api/v1/admin/users/invitations",
        json={"email": "second-owner@x.example", "role": "owner"},
        headers=store.auth(),
    )
    assert owner_invite.status_code == 400

    # owner: everyone but themself
    self_disable = await client.post(
        f"/api/v1/admin/users/{owner_id}/disable", headers=store.auth()
    )
    assert self_disable.status_code == 403
    assert self_disable.json()["code"] == "cannot_change_self"
    self_reset = await client.post(
        f"/api/v1/admin/users/{owner_id}/password-reset", headers=store.auth()
    )
    assert self_reset.status_code == 403
    assert self_reset.json()["code"] == "cannot_change_self"
    assert (await client.get("/api/v1/auth/me", headers=store.auth())).status_code == 200
    assert (
        await client.post(f"/api/v1/admin/users/{manager_ids[1]}/disable", headers=store.auth())
    ).status_code == 200
    assert (
        await client.get("/api/v1/auth/me", headers=store.auth(other_manager))
    ).status_code == 401
    missing = await client.post("/api/v1/admin/users/999999/disable", headers=store.auth())
    assert missing.status_code == 404
    assert missing.json()["code"] == "user_not_found"


async def test_accounts_across_tenants(client: Client, make_store: MakeStore) -> None:
    victim, attacker = await make_store(), await make_store()
    # the attacker's store has more users, so its ids do not exist in the victim's
    for _ in range(3):
        await add_staff(client, attacker, "staff")
    attacker_ids = [u["id"] for u in (await users_of(client, attacker)).values()]
    victim_ids = {u["id"] for u in (await users_of(client, victim)).values()}
    foreign = [i for i in attacker_ids if i not in victim_ids]
    assert foreign
    # the attacker's token on the victim's host
    for method, path, body in (
        ("GET", "/api/v1/admin/users", None),
        ("POST", "/api/v1/admin/users/invitations", {"email": "spy@x.example", "role": "staff"}),
        ("POST", "/api/v1/admin/users/1/disable", None),
        ("POST", "/api/v1/admin/users/1/enable", None),
        ("POST", "/api/v1/admin/users/1/password-reset", None),
        ("GET", "/api/v1/auth/me", None),
    ):
        response = await client.request(
            method, path, json=body, headers=victim.auth(attacker.token)
        )
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "token_wrong_tenant"
    # ids of the attacker's own users on the victim's store are unknown there
    for action in ("disable", "enable", "password-reset"):
        response = await client.post(
            f"/api/v1/admin/users/{foreign[0]}/{action}", headers=victim.auth()
        )
        assert response.status_code == 404
        assert response.json()["code"] == "user_not_found"
    # the victim's owner is untouched
    assert await login(client, victim.host, victim.owner_email, OWNER_PASSWORD)
    # a forged token (right claims, wrong key) is 401
    forged = issue_token(
        "another-secret-key-that-is-long-enough-0123456789",
        tenant_id=victim.tenant.id,
        subject="1",
        kind="staff",
        ttl_seconds=600,
        role="owner",
    )
    forged_response = await client.get("/api/v1/admin/users", headers=victim.auth(forged))
    assert forged_response.status_code == 401
    assert forged_response.json()["code"] == "invalid_token"


async def test_accepting_links_is_rate_limited(client: Client, make_store: MakeStore) -> None:
    store = await make_store()
    statuses = [(await accept(client, store, f"bad-{n}")).status_code for n in range(31)]
    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429
