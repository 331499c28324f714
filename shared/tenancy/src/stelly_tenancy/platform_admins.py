"""The platform console's administrators, in ``public.platform_admins``.

Shared by the ``stelly platform-admin`` command and the platform service.
E-mails are stored lower-cased and compared that way; passwords are argon2id
hashes (:class:`stelly_core.auth.PasswordHashing`), never the password.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg

if TYPE_CHECKING:
    from stelly_core.auth import PasswordHashing
    from stelly_core.db import Database

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "PlatformAdmin",
    "PlatformAdminError",
    "create_platform_admin",
    "fetch_platform_admin",
]

MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")


class PlatformAdminError(ValueError):
    """A platform admin refused, with a stable code (``invalid_admin``, ``admin_exists``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class PlatformAdmin:
    id: int
    email: str
    active: bool


def _admin(row: asyncpg.Record) -> PlatformAdmin:
    return PlatformAdmin(row["id"], row["email"], row["active"])


async def create_platform_admin(
    db: Database,
    email: str,
    password: str,
    hasher: PasswordHashing,
    *,
    exist_ok: bool = False,
) -> tuple[PlatformAdmin, bool]:
    """Add a platform admin.

    Args:
        db: the database.
        email: their e-mail (stored lower-cased).
        password: at least :data:`MIN_PASSWORD_LENGTH` characters.
        hasher: the argon2 hasher.
        exist_ok: when the e-mail exists, return that admin rather than refuse.

    Returns:
        The admin, and whether this call created them.

    Raises:
        PlatformAdminError: ``invalid_admin`` for a bad e-mail or a short
            password, ``admin_exists`` when the e-mail is taken (unless ``exist_ok``).
    """
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email):
        raise PlatformAdminError("invalid_admin", f"invalid e-mail {email!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PlatformAdminError(
            "invalid_admin", f"the password needs {MIN_PASSWORD_LENGTH} characters or more"
        )
    if exist_ok:
        existing = await fetch_platform_admin(db, email)
        if existing is not None:
            return existing, False
    password_hash = await asyncio.to_thread(hasher.hash, password)
    try:
        async with db.platform() as conn:
            row = await conn.fetchrow(
                "INSERT INTO public.platform_admins (email, password_hash) VALUES ($1, $2)"
                " RETURNING id, email, active",
                email,
                password_hash,
            )
    except asyncpg.UniqueViolationError:
        if exist_ok:
            found = await fetch_platform_admin(db, email)
            if found is not None:
                return found, False
        raise PlatformAdminError("admin_exists", f"a platform admin {email} exists") from None
    assert row is not None  # INSERT ... RETURNING always returns the row
    return _admin(row), True


async def fetch_platform_admin(db: Database, email: str) -> PlatformAdmin | None:
    """The admin with this e-mail (any case), or ``None``."""
    async with db.platform() as conn:
        row = await conn.fetchrow(
            "SELECT id, email, active FROM public.platform_admins WHERE email = $1",
            email.strip().lower(),
        )
    return None if row is None else _admin(row)
