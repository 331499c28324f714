"""Staff login and user administration (SPEC §3 Staff)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from stelly_menu.types import Email, Password

__all__ = ["Role", "TokenRequest", "TokenResponse", "UserCreate"]

Role = Literal["owner", "manager", "staff"]


class TokenRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    #: any text (an unknown e-mail is a 401, never a 400) without control characters
    email: Annotated[str, Meta(max_length=254, pattern=r"^[^\x00-\x1f\x7f]*$")]
    password: Password


class TokenResponse(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str
    expires_in: int


class UserCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    email: Email
    password: Annotated[str, Meta(min_length=8, max_length=1024)]
    role: Role
