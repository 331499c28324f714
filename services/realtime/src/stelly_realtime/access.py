"""Who may subscribe to which channel: plain decisions, no framework.

``menu`` is public; ``kitchen`` needs a staff token of the tenant;
``order:{id}`` needs that order's token, or a staff token of the tenant (the
kitchen opens an order's own channel to follow it).
"""

from __future__ import annotations

from typing import NamedTuple

from stelly_core.auth import verify_token
from stelly_core.errors import ProblemError
from stelly_core.events import validate_channel

__all__ = ["Decision", "authorize_subscription"]


class Decision(NamedTuple):
    """``code`` is ``None`` when allowed; ``expires_at`` is the token's ``exp``."""

    code: str | None
    expires_at: int | None = None


_PUBLIC = Decision(None)


def _verify(
    secret: str, token: str, tenant_id: int, kind: str
) -> tuple[str | None, int | None, str | None]:
    """(subject, exp, None) when valid, else (None, None, error code)."""
    try:
        claims = verify_token(secret, token, tenant_id=tenant_id, kind=kind)  # type: ignore[arg-type]
    except ProblemError as exc:
        return None, None, exc.code
    return claims.sub, claims.exp, None


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
        subscription ends), or refused with ``invalid_channel``,
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
        _, expires, error = _verify(secret, token, tenant_id, "staff")
        return Decision(error, expires)
    order_id = str(channel).removeprefix("order:")
    subject, expires, order_error = _verify(secret, token, tenant_id, "order")
    if subject is not None:
        return Decision(None, expires) if subject == order_id else Decision("forbidden")
    staff, expires, staff_error = _verify(secret, token, tenant_id, "staff")
    if staff is not None:
        return Decision(None, expires)
    # a token of another tenant says so, whichever kind it is
    if "token_wrong_tenant" in (order_error, staff_error):
        return Decision("token_wrong_tenant")
    return Decision("invalid_token")
