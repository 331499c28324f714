"""Who may subscribe to what, as a plain function."""

from __future__ import annotations

import time

import pytest
from stelly_core.auth import issue_token
from stelly_realtime.access import authorize_subscription

SECRET = "s" * 40
TENANT, OTHER = 7, 8


def _staff(tenant: int = TENANT, ttl: int = 60) -> str:
    return issue_token(
        SECRET, tenant_id=tenant, subject="3", kind="staff", role="staff", ttl_seconds=ttl
    )


def _order(order_id: int, tenant: int = TENANT, ttl: int = 60) -> str:
    return issue_token(
        SECRET, tenant_id=tenant, subject=str(order_id), kind="order", ttl_seconds=ttl
    )


def _decide(channel: object, token: object = None) -> str | None:
    return authorize_subscription(channel, token, tenant_id=TENANT, secret=SECRET).code


def test_a_grant_carries_the_tokens_expiry() -> None:
    token = _staff(ttl=60)
    decision = authorize_subscription("kitchen", token, tenant_id=TENANT, secret=SECRET)
    assert decision.code is None
    assert decision.expires_at is not None
    assert decision.expires_at > time.time() + 30
    assert authorize_subscription("menu", None, tenant_id=TENANT, secret=SECRET).expires_at is None


def test_menu_is_public() -> None:
    assert _decide("menu") is None


def test_kitchen_takes_only_a_staff_token_of_this_tenant() -> None:
    assert _decide("kitchen", _staff()) is None
    assert _decide("kitchen") == "token_required"
    assert _decide("kitchen", _order(1)) == "invalid_token"
    assert _decide("kitchen", _staff(OTHER)) == "token_wrong_tenant"
    assert _decide("kitchen", _staff(ttl=-10)) == "invalid_token"
    forged = issue_token("x" * 40, tenant_id=TENANT, subject="3", kind="staff", ttl_seconds=60)
    assert _decide("kitchen", forged) == "invalid_token"


def test_order_channel_takes_that_orders_token_or_staff() -> None:
    assert _decide("order:42", _order(42)) is None
    assert _decide("order:42", _staff()) is None
    assert _decide("order:42", _order(43)) == "forbidden"
    assert _decide("order:42", _order(42, OTHER)) == "token_wrong_tenant"
    assert _decide("order:42", _staff(OTHER)) == "token_wrong_tenant"
    assert _decide("order:42") == "token_required"
    assert _decide("order:42", 42) == "invalid_token"


@pytest.mark.parametrize(
    "channel",
    [
        "kitchen ",
        "Kitchen",
        "KITCHEN",
        "order:",
        "order:../x",
        "order:0",
        "order:01",
        "order:-1",
        "order:1 ",
        " menu",
        "menu\n",
        "order:1\x00",
        "x" * 100_000,
        "",
        "*",
        "t:8:ev:kitchen",
        "order:1:2",
        5,
        None,
    ],
)
def test_channel_name_tricks_are_refused_before_any_token(channel: object) -> None:
    assert _decide(channel, _staff()) == "invalid_channel"
