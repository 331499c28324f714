"""Proof of a domain's ownership: the ``_stelly-challenge`` TXT record.

A small resolver interface (:class:`TxtResolver`) with the real one on
dnspython's async resolver (:class:`DnsTxtResolver`); tests use a fake,
since no test may depend on the Internet's DNS. :func:`judge_txt` is the
plain rule: the domain is proven when one of the TXT strings equals the
token it was given.

Invariants: a name that does not exist or has no TXT record is
``txt_missing``; records without the token are ``txt_mismatch``; a lookup
that fails (timeout, no answer from any server, SERVFAIL) is ``dns_error``,
never a 5xx: it is a fact about the outside world to show, not our fault.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Literal, Protocol

import dns.asyncresolver
import dns.exception
import dns.resolver

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CHALLENGE_LABEL",
    "DnsLookupFailed",
    "DnsTxtResolver",
    "PendingReason",
    "TxtResolver",
    "challenge_name",
    "judge_txt",
]

CHALLENGE_LABEL = "_stelly-challenge"
PendingReason = Literal["txt_missing", "txt_mismatch", "dns_error", "frontdoor_error"]


class DnsLookupFailed(Exception):
    """The lookup itself failed (timeout, SERVFAIL, no reachable server)."""


class TxtResolver(Protocol):
    """Looks up TXT records."""

    async def txt(self, name: str) -> list[str]:
        """The TXT strings at ``name`` (empty when the name or the record does not exist).

        Raises:
            DnsLookupFailed: when the lookup could not be answered.
        """
        ...


def challenge_name(domain: str) -> str:
    """``_stelly-challenge.{domain}``: where the owner puts the token."""
    return f"{CHALLENGE_LABEL}.{domain}"


def judge_txt(values: Sequence[str], token: str) -> PendingReason | None:
    """``None`` when one TXT string is the token, else why not."""
    if not values:
        return "txt_missing"
    wanted = token.encode()
    if any(hmac.compare_digest(value.strip().encode(), wanted) for value in values):
        return None
    return "txt_mismatch"


class DnsTxtResolver:
    """TXT lookups with dnspython's async resolver (the system's name servers)."""

    def __init__(self, *, lifetime: float = 5.0) -> None:
        self._lifetime = lifetime
        self._resolver: dns.asyncresolver.Resolver | None = None

    def _get(self) -> dns.asyncresolver.Resolver:
        # built on first use: reading resolv.conf is I/O, and tests never get here
        if self._resolver is None:
            self._resolver = dns.asyncresolver.Resolver()
            self._resolver.lifetime = self._lifetime
        return self._resolver

    async def txt(self, name: str) -> list[str]:
        try:
            answer = await self._get().resolve(name, "TXT", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise DnsLookupFailed(f"{type(exc).__name__}: {exc}") from None
        values = []
        for record in answer:
            # a TXT record is one or more character strings; the value is their concatenation
            strings: Sequence[bytes] = getattr(record, "strings", ())
            values.append(b"".join(strings).decode("utf-8", "replace"))
        return values
