"""Wire types of ``POST /api/v1/platform/auth/token``."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

__all__ = ["TokenRequest", "TokenResponse"]

_LINE = r"^[^\x00-\x1f\x7f]*$"


class TokenRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    #: any text without control characters: an unknown e-mail is a 401, never a 400
    email: Annotated[str, Meta(max_length=254, pattern=_LINE)]
    password: Annotated[str, Meta(min_length=1, max_length=1024)]


class TokenResponse(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str
    expires_in: int
