"""Who may subscribe to which channel: plain decisions, no framework.

``menu`` is public; ``kitchen`` needs a staff token of the tenant;
``order:{id}`` needs that order's token, or a staff token of the tenant (the
kitchen opens an order's own channel to follow it). A grant made on a staff
token carries its claims, so that the session can check the user is still
active (:func:`stelly_tenancy.staff.staff_of_claims`) now and later.
"""

from __future__ import annotations

from typing import NamedTuple

from stelly_core.auth import Claims, verify_token
from stelly_core.errors import ProblemError
from stelly_core.events import validate_channel

__all__ = ["Decision", "authorize_subscription"]


class Decision(NamedTuple):
    """``code`` is ``None`` when allowed; ``expires_at`` is the token's ``exp``;
    ``staff`` the claims of the staff token that was granted."""

    code: str | None
    expires_at: int | None = None
    staff: Claims | None = None


_PUBLIC = Decision(None)


def _verify(secret: str, token: str, tenant_id: int, kind: str) -> tuple[Claims | None, str | None]:
    """(claims, None) when valid, else (None, error code)."""
    try:
        claims = verify_token(secret, token, tenant_id=tenant_id, kind=kind)  # type: ignore[arg-type]
    except ProblemError as exc:
        return None, exc.code
    return claims, None


def authorize_subscription(
    channel: object, token: object, *, tenant_id: int, secret: str
) -> Decision:
    """Decide whether a subscription is allowed.

    Args:
        channel: the channel name as the client sent it.
        token: the token the client sent, if any.
        tenant_id: the tenant resolved from the connection's host.
        secret: ``KZ_SECRET_KEY``.

    Returns:
        The decision: allowed (with the token's expiry, after which the
        subscription ends, and a staff token's claims), or refused with ``invalid_channel``,
        ``token_required``, ``invalid_token``, ``token_wrong_tenant`` or ``forbidden``.
    """
    try:
        validate_channel(channel)  # type: ignore[arg-type]
    except ValueError:
        return Decision("invalid_channel")
    if channel == "menu":
        return _PUBLIC
    if token is None or token == "":
        return Decision("token_required")
    if not isinstance(token, str) or len(token) > 4096:
        return Decision("invalid_token")
    if channel == "kitchen":
        staff, error = _verify(secret, token, tenant_id, "staff")
        return Decision(None, staff.exp, staff) if staff is not None else Decision(error)
    order_id = str(channel).removeprefix("order:")
    order, order_error = _verify(secret, token, tenant_id, "order")
    if order is not None:
        return Decision(None, order.exp) if order.sub == order_id else Decision("forbidden")
    staff, staff_error = _verify(secret, token, tenant_id, "staff")
    if staff is not None:
        return Decision(None, staff.exp, staff)
    # a token of another tenant says so, whichever kind it is
    if "token_wrong_tenant" in (order_error, staff_error):
        return Decision("token_wrong_tenant")
    return Decision("invalid_token")
