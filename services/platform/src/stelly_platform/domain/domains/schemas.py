"""Wire types of ``/api/v1/platform/tenants/{slug}/domains``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from stelly_platform.types import Line

__all__ = ["CertificateOut", "DnsRecord", "DomainCreate", "DomainOut"]


class DomainCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    #: a host name, Unicode or ASCII (stored as punycode); a bad one is 422 ``invalid_domain``
    domain: Line


class DnsRecord(msgspec.Struct, frozen=True):
    """A record the domain's owner creates at their DNS provider."""

    type: Literal["CNAME", "TXT"]
    name: str
    value: str


class CertificateOut(msgspec.Struct, frozen=True):
    """Front Door's managed certificate for the domain (Azure only)."""

    #: Front Door's domain validation state: ``pending``, ``approved``, ``rejected``, ``timed_out``...
    state: str
    #: the custom domain's deployment: ``not_started``, ``in_progress``, ``succeeded``, ``failed``
    deployment_status: str | None = None


class DomainOut(msgspec.Struct, frozen=True):
    """A custom domain: it serves the tenant once ``status`` is ``verified``."""

    domain: str
    status: Literal["pending", "verified"]
    #: what to create at the DNS provider: the CNAME to the edge, the ownership
    #: TXT record, and (in Azure, after verification) Front Door's own TXT record
    records: list[DnsRecord]
    #: why it is still pending after the last check: ``txt_missing``,
    #: ``txt_mismatch``, ``dns_error`` or ``frontdoor_error``
    reason: str | None
    certificate: CertificateOut | None
    created_at: datetime
    verified_at: datetime | None
    last_checked_at: datetime | None
