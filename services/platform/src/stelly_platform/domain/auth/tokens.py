"""Platform admin tokens: HS256 JWTs with their own audience, ``stelly:platform``.

Signed with ``KZ_SECRET_KEY`` like staff tokens, but with an audience no
tenant route accepts (those check ``stelly:staff`` / ``stelly:order``, see
:mod:`stelly_core.auth`) and without a tenant id; and this module accepts
only ``stelly:platform``, so no tenant token stands in for an admin's.
"""

from __future__ import annotations

import secrets
import time

import jwt
from stelly_core.auth import ALGORITHM, ISSUER
from stelly_core.errors import ProblemError

__all__ = [
    "AUDIENCE",
    "PLATFORM_TOKEN_TTL",
    "invalid_platform_token",
    "issue_platform_token",
    "verify_platform_token",
]

AUDIENCE = "stelly:platform"
PLATFORM_TOKEN_TTL = 8 * 3600


def issue_platform_token(secret: str, admin_id: int, ttl_seconds: int = PLATFORM_TOKEN_TTL) -> str:
    """Sign a token for one platform admin."""
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(admin_id),
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def invalid_platform_token() -> ProblemError:
    """The one refusal of a console token: 401 ``invalid_token``, whatever is wrong with it."""
    return ProblemError(
        401,
        "invalid_token",
        "the token is missing, malformed, expired or not a console token",
        headers={"WWW-Authenticate": "Bearer"},
    )


def verify_platform_token(secret: str, token: str) -> int:
    """The admin id of a valid platform token.

    Raises:
        ProblemError: 401 ``invalid_token`` for anything else (a tenant's
            staff or order token included).
    """
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        admin_id = int(payload["sub"])
    except (jwt.PyJWTError, ValueError, TypeError):
        raise invalid_platform_token() from None
    return admin_id
