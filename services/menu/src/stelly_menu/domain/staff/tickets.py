"""Invitation and password-reset links: signed, single-use, per tenant.

A link's token is a JWT of kind ``invite`` (7 days) or ``reset`` (24 hours),
with its own audience, so it is never accepted as an access token and an
access token is never accepted as a link. It names the user, the tenant and
a nonce; the nonce's row in ``staff_tickets`` is consumed when the link is
used, so a link works once. Every way a link can be wrong (expired, used,
tampered, another tenant's, another kind) is the same 400 ``invalid_token``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import quote

from stelly_core.auth import issue_token, verify_token
from stelly_core.errors import ProblemError

__all__ = [
    "INVALID_LINK",
    "TTL",
    "Ticket",
    "TicketPurpose",
    "accept_link",
    "mint_ticket",
    "read_ticket",
]

TicketPurpose = Literal["invite", "reset"]
TTL: dict[TicketPurpose, timedelta] = {
    "invite": timedelta(days=7),
    "reset": timedelta(hours=24),
}
INVALID_LINK = ProblemError(
    400, "invalid_token", "this link is invalid, expired or already used; ask for a new one"
)


@dataclass(frozen=True, slots=True)
class Ticket:
    """A minted link token and what the database keeps of it."""

    purpose: TicketPurpose
    user_id: int
    nonce: str
    token: str
    expires_at: datetime


def mint_ticket(secret: str, tenant_id: int, user_id: int, purpose: TicketPurpose) -> Ticket:
    """A new link token for one user of one tenant (record its nonce before handing it out)."""
    nonce = secrets.token_urlsafe(24)
    ttl = TTL[purpose]
    expires_at = (datetime.now(UTC) + ttl).replace(microsecond=0)
    token = issue_token(
        secret,
        tenant_id=tenant_id,
        subject=str(user_id),
        kind=purpose,
        ttl_seconds=int(ttl.total_seconds()),
        nonce=nonce,
    )
    return Ticket(purpose, user_id, nonce, token, expires_at)


def read_ticket(secret: str, token: str, tenant_id: int) -> tuple[TicketPurpose, int, str]:
    """The purpose, user id and nonce of a link token of this tenant.

    Raises:
        ProblemError: 400 ``invalid_token`` for anything but a valid, unexpired
            invitation or reset token of this tenant.
    """
    purposes: tuple[TicketPurpose, ...] = ("invite", "reset")
    for purpose in purposes:
        try:
            claims = verify_token(secret, token, tenant_id=tenant_id, kind=purpose)
        except ProblemError:
            continue
        if claims.nonce and claims.sub.isdigit() and len(claims.sub) <= 18:
            return purpose, int(claims.sub), claims.nonce
        break
    raise INVALID_LINK


def accept_link(origin: str, token: str) -> str:
    """The web app's page that accepts a link: ``{origin}/admin/accept?token=...``."""
    return f"{origin.rstrip('/')}/admin/accept?token={quote(token, safe='')}"
