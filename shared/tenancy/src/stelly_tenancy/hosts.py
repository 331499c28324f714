"""Which host a request is for, and which client sent it (SPEC §2, steps 1-2).

Plain functions over header values: the edge trust decision (FDID or a
trusted proxy address), the tenant host (``X-Tenant-Host`` from a trusted
edge, else ``Host``) and the client address (``X-Azure-ClientIP`` on the same
condition). No framework, no I/O.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["EdgePolicy", "EdgeVerdict", "judge_edge", "normalize_host"]

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
MAX_HOST_LENGTH = 253
#: Distinct hosts and addresses remembered by the pure parsers below; the
#: bound keeps a flood of made-up values from growing memory.
PARSE_CACHE_SIZE = 4096
#: Longer than any textual IPv6 address with a zone and surrounding blanks.
MAX_IP_LENGTH = 64


def normalize_host(raw: str | None) -> str | None:
    """Reduce a ``Host``-style value to a lower-case DNS name.

    Lower-cases, drops the port and a trailing dot, and checks every label.
    IP literals and anything that is not an ASCII DNS name give ``None``:
    punycode (``xn--...``) is accepted as the ASCII it is.

    Args:
        raw: the header value, possibly ``None``.

    Returns:
        The normalised host, or ``None`` when the value cannot name a tenant.
    """
    if not raw or len(raw) > MAX_HOST_LENGTH + 7:
        return None  # checked before the cache, so it only ever holds short keys
    return _normalize(raw)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _normalize(raw: str) -> str | None:
    host = raw.strip().lower()
    if host.startswith("["):
        return None  # an IPv6 literal never names a tenant
    name, sep, port = host.partition(":")
    if sep and not (port.isdigit() and len(port) <= 5):
        return None
    name = name.removesuffix(".")
    if not name or len(name) > MAX_HOST_LENGTH or not name.isascii():
        return None
    labels = name.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if all(label.isdigit() for label in labels):
        return None  # an IPv4 literal
    return name


@dataclass(frozen=True, slots=True)
class EdgePolicy:
    """How far to trust the edge's headers."""

    frontdoor_id: str | None
    trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = ()


@dataclass(frozen=True, slots=True)
class EdgeVerdict:
    """What the edge step decided for one request."""

    refused: bool
    host: str | None
    client_ip: str | None


def _parse_ip(value: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not value or len(value) > MAX_IP_LENGTH:
        return None
    return _parse_short_ip(value)


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parse_short_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _is_trusted(policy: EdgePolicy, peer_ip: str | None) -> bool:
    peer = _parse_ip(peer_ip)
    return peer is not None and any(peer in net for net in policy.trusted_proxies)


def judge_edge(
    policy: EdgePolicy,
    *,
    host: str | None,
    tenant_host: str | None,
    fdid: str | None,
    azure_client_ip: str | None,
    peer_ip: str | None,
) -> EdgeVerdict:
    """Apply SPEC §2 steps 1 and 2 to one request's headers.

    Args:
        policy: the configured Front Door id and trusted proxies.
        host: the ``Host`` header.
        tenant_host: the ``X-Tenant-Host`` header.
        fdid: the ``X-Azure-FDID`` header.
        azure_client_ip: the ``X-Azure-ClientIP`` header.
        peer_ip: the address of the socket's peer.

    Returns:
        ``refused`` when a Front Door id is configured and the request's
        differs; otherwise the tenant host and the client address to use.
    """
    if policy.frontdoor_id is not None:
        matches = fdid is not None and hmac.compare_digest(
            fdid.strip().encode(), policy.frontdoor_id.encode()
        )
        if not matches:
            return EdgeVerdict(refused=True, host=None, client_ip=None)
        trusted = True
    else:
        trusted = _is_trusted(policy, peer_ip) if policy.trusted_proxies else False
    if trusted:
        raw_host = tenant_host if tenant_host else host
        client = _parse_ip(azure_client_ip)
        client_ip = str(client) if client is not None else peer_ip
    else:
        raw_host, client_ip = host, peer_ip
    return EdgeVerdict(refused=False, host=normalize_host(raw_host), client_ip=client_ip)
