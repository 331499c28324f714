"""Which custom domains a tenant may add, as plain functions.

Invariants: a domain is stored in its normalised form
(:func:`stelly_tenancy.models.validate_domain`: lower-case ASCII, punycode,
no trailing dot); Stelly's own names are never a tenant's custom domain:
the base domain, anything under it and the console host are refused
(``domain_not_allowed``). One exception keeps the local stack usable: in
development with the base domain ``localhost``, ``*.localhost`` is the only
kind of name a browser resolves without DNS, so such a domain is allowed
unless its first label is a reserved word (``console.localhost``...) or a
tenant's slug (then its slug host shadows it; the caller checks that).
"""

from __future__ import annotations

from typing import Literal

from stelly_tenancy.models import RESERVED_SLUGS, validate_domain

__all__ = ["LOCAL_SUFFIX", "DomainRefusal", "is_local_domain", "judge_domain", "shadowing_slug"]

LOCAL_SUFFIX = ".localhost"
DomainRefusal = Literal["invalid_domain", "domain_not_allowed"]


def is_local_domain(domain: str) -> bool:
    """Whether ``domain`` is a ``*.localhost`` name (resolved to loopback without DNS)."""
    return domain.endswith(LOCAL_SUFFIX)


def judge_domain(
    raw: str, *, base_domain: str, console_host: str, development: bool
) -> tuple[str, DomainRefusal | None]:
    """Normalise a proposed custom domain and say why it is refused, if it is.

    Args:
        raw: what the operator typed.
        base_domain: ``STELLY_BASE_DOMAIN``.
        console_host: the console's host.
        development: the process does not run in production.

    Returns:
        The normalised domain (``raw`` when invalid) and ``None`` or the refusal.
    """
    try:
        domain = validate_domain(raw)
    except ValueError:
        return raw, "invalid_domain"
    if domain in (base_domain, console_host):
        return domain, "domain_not_allowed"
    if domain.endswith("." + base_domain):
        local = development and base_domain == "localhost"
        first = domain.split(".", 1)[0]
        if not local or first in RESERVED_SLUGS:
            return domain, "domain_not_allowed"
    return domain, None


def shadowing_slug(domain: str, base_domain: str) -> str | None:
    """The slug whose host ``domain`` is, when it is ``{label}.{base_domain}``."""
    prefix = domain.removesuffix("." + base_domain)
    if prefix == domain or "." in prefix:
        return None
    return prefix
