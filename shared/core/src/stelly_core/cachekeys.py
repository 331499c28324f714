"""Tenant-prefixed Redis keys, so that no entry is shared across tenants by mistake."""

from __future__ import annotations

import re

__all__ = ["platform_key", "tenant_key"]

_PART = re.compile(r"^[A-Za-z0-9_.@+=-]{1,200}$")


def _join(parts: tuple[str | int, ...]) -> str:
    if not parts:
        raise ValueError("a cache key needs at least one part")
    texts = [str(p) for p in parts]
    for text in texts:
        if not _PART.fullmatch(text):
            raise ValueError(f"invalid cache key part {text!r}")
    return ":".join(texts)


def tenant_key(tenant_id: int, *parts: str | int) -> str:
    """A Redis key that belongs to one tenant.

    Keyed by the tenant's id, not its slug, so that a slug given up and
    taken again never meets the old tenant's entries. Parts may not contain
    ``:``, so two different part lists never make the same key.

    Args:
        tenant_id: the tenant's registry id.
        *parts: the rest of the key (``"menu"``, ``"v1"``).

    Returns:
        ``t:{tenant_id}:{part}:{part}...``

    Raises:
        ValueError: for an empty key or a part with characters outside
            ``[A-Za-z0-9_.@+=-]``.
    """
    if not isinstance(tenant_id, int) or isinstance(tenant_id, bool) or tenant_id <= 0:
        raise ValueError(f"invalid tenant id {tenant_id!r}")
    return f"t:{tenant_id}:{_join(parts)}"


def platform_key(*parts: str | int) -> str:
    """A Redis key that belongs to no tenant (``p:...``)."""
    return f"p:{_join(parts)}"
