"""The tenant record and the rules for its names (SPEC §2)."""

from __future__ import annotations

import re
from enum import StrEnum

import msgspec

__all__ = ["RESERVED_SLUGS", "Tenant", "TenantStatus", "validate_domain", "validate_slug"]

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
#: ``console`` is the platform console's host (SPEC §10), never a tenant's
RESERVED_SLUGS = frozenset(
    {"www", "api", "admin", "app", "static", "ws", "cdn", "assets", "mail", "console"}
)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Tenant(msgspec.Struct, frozen=True):
    """A restaurant as the registry knows it."""

    id: int
    slug: str
    name: str
    schema: str
    status: TenantStatus
    currency: str
    timezone: str

    @property
    def active(self) -> bool:
        return self.status is TenantStatus.ACTIVE


def validate_slug(slug: str) -> str:
    """Check a tenant slug against SPEC §2.

    Args:
        slug: the proposed slug.

    Returns:
        The slug, unchanged.

    Raises:
        ValueError: if it does not match the pattern, is reserved, or looks
            like an IDNA label (``xx--``), which would make its host ambiguous.
    """
    if not SLUG.fullmatch(slug):
        raise ValueError(
            f"invalid slug {slug!r}: use 3-32 of a-z, 0-9 and '-', starting with a letter"
        )
    if slug in RESERVED_SLUGS:
        raise ValueError(f"slug {slug!r} is reserved")
    if slug[2:4] == "--":
        raise ValueError(f"slug {slug!r} is refused: '--' in third and fourth place is for IDNA")
    return slug


def validate_domain(domain: str) -> str:
    """Normalise a custom domain to its lower-case ASCII (punycode) form.

    Args:
        domain: a host name, Unicode or ASCII, with or without a trailing dot.

    Returns:
        The normalised domain.

    Raises:
        ValueError: if it is not a valid host name of at least two labels.
    """
    raw = domain.strip().rstrip(".")
    try:
        ascii_domain = raw.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise ValueError(f"invalid domain {domain!r}") from exc
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels):
        raise ValueError(f"invalid domain {domain!r}")
    return ascii_domain
