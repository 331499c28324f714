"""Staff and order credentials: argon2 password hashes and HS256 JWTs.

Libraries: ``argon2-cffi`` for hashing, ``PyJWT`` for tokens. Every token
carries the tenant id (``tid``); :func:`verify_token` refuses a token minted
for another tenant with 403, whatever else is right about it. Each kind has its
own audience (``stelly:{kind}``), so a token of one kind (a staff access token,
an order token, a single-use invitation or password-reset link) is never
accepted as another. Staff tokens carry the user's token version (``ver``),
which the staff check compares with the live row.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Literal

import jwt
import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from stelly_core.errors import ProblemError

__all__ = [
    "Claims",
    "PasswordHashing",
    "TokenKind",
    "issue_token",
    "verify_token",
]

ISSUER = "stelly"
ALGORITHM = "HS256"
TokenKind = Literal["staff", "order", "invite", "reset"]


class Claims(msgspec.Struct, frozen=True):
    """What a verified token says."""

    sub: str
    tid: int
    kind: TokenKind
    exp: int
    role: str | None = None
    #: the staff user's token version when the token was issued
    ver: int = 0
    #: the single-use nonce of an invitation or reset token
    nonce: str | None = None


def issue_token(
    secret: str,
    *,
    tenant_id: int,
    subject: str,
    kind: TokenKind,
    ttl_seconds: int,
    role: str | None = None,
    version: int | None = None,
    nonce: str | None = None,
) -> str:
    """Sign a token for one tenant.

    Args:
        secret: ``KZ_SECRET_KEY``.
        tenant_id: the tenant the token is valid on.
        subject: the staff user id, or the order id for order tokens.
        kind: ``staff``, ``order``, ``invite`` or ``reset``; one is never
            accepted as another.
        ttl_seconds: lifetime.
        role: the staff role.
        version: the staff user's token version (``ver``).
        nonce: the single-use nonce of an invitation or reset.

    Returns:
        The encoded JWT.
    """
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": f"stelly:{kind}",
        "sub": subject,
        "tid": tenant_id,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": secrets.token_urlsafe(12),
    }
    if role is not None:
        payload["role"] = role
    if version is not None:
        payload["ver"] = version
    if nonce is not None:
        payload["nonce"] = nonce
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str, *, tenant_id: int, kind: TokenKind) -> Claims:
    """Check a token's signature, lifetime, kind and tenant.

    Args:
        secret: ``KZ_SECRET_KEY``.
        token: the bearer token.
        tenant_id: the tenant resolved from the request's host.
        kind: the kind of token the route accepts.

    Returns:
        The claims.

    Raises:
        ProblemError: 401 ``invalid_token`` when it is not a valid token of
            that kind, 403 ``token_wrong_tenant`` when it is another tenant's.
    """
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=f"stelly:{kind}",
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        claims = msgspec.convert({**payload, "kind": kind}, Claims, strict=False)
    except (jwt.PyJWTError, msgspec.ValidationError):
        raise ProblemError(
            401,
            "invalid_token",
            "the token is missing, malformed, expired or not valid here",
            headers={"WWW-Authenticate": "Bearer"},
        ) from None
    if claims.tid != tenant_id:
        raise ProblemError(403, "token_wrong_tenant", "this token belongs to another store")
    return claims


class PasswordHashing:
    """Argon2id hashing with a constant-time answer for unknown users."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """Hash a new password."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password; a missing user costs the same as a wrong password.

        Args:
            password_hash: the stored hash, or ``None`` when the user is unknown.
            password: what the client sent.

        Returns:
            Whether it matches.
        """
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and (
                password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False
