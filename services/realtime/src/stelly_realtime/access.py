"""Who may subscribe to which channel: plain decisions, no framework.

``menu`` is public; ``kitchen`` needs a staff token of the tenant;
``order:{id}`` needs that order's token, or a staff token of the tenant (the
kitchen opens an order's own channel to follow it).
"""

from __future__ import annotations

from stelly_core.auth import verify_token
from stelly_core.errors import ProblemError
from stelly_core.events import validate_channel

__all__ = ["authorize_subscription"]


def _verify(secret: str, token: str, tenant_id: int, kind: str) -> tuple[str | None, str | None]:
    """(subject, None) when valid, else (None, error code)."""
    try:
        claims = verify_token(secret, token, tenant_id=tenant_id, kind=kind)  # type: ignore[arg-type]
    except ProblemError as exc:
        return None, exc.code
    return claims.sub, None


def authorize_subscription(
    channel: object, token: object, *, tenant_id: int, secret: str
) -> str | None:
    """Decide whether a subscription is allowed.

    Args:
        channel: the channel name as the client sent it.
        token: the token the client sent, if any.
        tenant_id: the tenant resolved from the connection's host.
        secret: ``KZ_SECRET_KEY``.

    Returns:
        ``None`` when allowed, else the error code to answer: ``invalid_channel``,
        ``token_required``, ``invalid_token``, ``token_wrong_tenant`` or ``forbidden``.
    """
    try:
        validate_channel(channel)  # type: ignore[arg-type]
    except ValueError:
        return "invalid_channel"
    if channel == "menu":
        return None
    if token is None or token == "":
        return "token_required"
    if not isinstance(token, str) or len(token) > 4096:
        return "invalid_token"
    if channel == "kitchen":
        return _verify(secret, token, tenant_id, "staff")[1]
    order_id = str(channel).removeprefix("order:")
    subject, order_error = _verify(secret, token, tenant_id, "order")
    if subject is not None:
        return None if subject == order_id else "forbidden"
    staff, staff_error = _verify(secret, token, tenant_id, "staff")
    if staff is not None:
        return None
    # a token of another tenant says so, whichever kind it is
    if "token_wrong_tenant" in (order_error, staff_error):
        return "token_wrong_tenant"
    return "invalid_token"
