"""Wire types of staff accounts: listing, invitations, resets, accepting a link, ``me``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from stelly_menu.types import Email

__all__ = [
    "AcceptRequest",
    "AccountStatus",
    "InvitationOut",
    "InvitationRequest",
    "InvitedRole",
    "Me",
    "NewPassword",
    "ResetOut",
    "StaffUser",
]

AccountStatus = Literal["active", "invited", "disabled"]
InvitedRole = Literal["manager", "staff"]
#: the rule of every new password (as ``POST /api/v1/admin/users``)
NewPassword = Annotated[str, Meta(min_length=8, max_length=1024)]


class StaffUser(msgspec.Struct, frozen=True):
    id: int
    email: str
    role: str
    #: ``invited``: no password chosen yet; ``disabled``: its tokens no longer work
    status: AccountStatus
    #: ``status != "disabled"`` (kept for older clients)
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class InvitationRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Email
    role: InvitedRole


class InvitationOut(msgspec.Struct, frozen=True):
    user: StaffUser
    #: the single-use link to send the person (``/admin/accept?token=...``)
    invite_url: str
    expires_at: datetime


class ResetOut(msgspec.Struct, frozen=True):
    #: the single-use link to send the person (``/admin/accept?token=...``)
    reset_url: str
    expires_at: datetime


class AcceptRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    #: the ``token`` of an invitation or password-reset link
    token: Annotated[str, Meta(min_length=1, max_length=4096)]
    password: NewPassword


class Me(msgspec.Struct, frozen=True):
    id: int
    email: str
    role: str
