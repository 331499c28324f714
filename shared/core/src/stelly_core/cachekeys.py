"""Tenant-prefixed Redis keys, so that no entry is shared across tenants by mistake.

Hash slots: Redis in cluster mode (Azure Managed Redis) keeps every key in one
of 16,384 slots, and a multi-key command, ``MULTI``/``EXEC`` or Lua script
must keep all its keys in one slot (else ``CROSSSLOT``). Parts may not contain
``{`` or ``}``, so an untagged key is hashed whole; keys that change together
are made with ``tagged=True``, which wraps the owner in a hash tag
(``t:{42}:menu``, ``p:{media}:jobs``): every tagged key of one owner shares
its slot. Tags are used only where a command needs them, so that the other
keys still spread over the cluster.
"""

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


def tenant_key(tenant_id: int, *parts: str | int, tagged: bool = False) -> str:
    """A Redis key that belongs to one tenant.

    Keyed by the tenant's id, not its slug, so that a slug given up and
    taken again never meets the old tenant's entries. Parts may not contain
    ``:``, so two different part lists never make the same key.

    Args:
        tenant_id: the tenant's registry id.
        *parts: the rest of the key (``"menu"``, ``"v1"``).
        tagged: put the tenant id in a hash tag, so that the key shares its
            hash slot with the tenant's other tagged keys.

    Returns:
        ``t:<tenant_id>:<part>:<part>...``, or ``t:{<tenant_id>}:<part>...``
        when tagged.

    Raises:
        ValueError: for an empty key or a part with characters outside
            ``[A-Za-z0-9_.@+=-]``.
    """
    if not isinstance(tenant_id, int) or isinstance(tenant_id, bool) or tenant_id <= 0:
        raise ValueError(f"invalid tenant id {tenant_id!r}")
    owner = f"{{{tenant_id}}}" if tagged else str(tenant_id)
    return f"t:{owner}:{_join(parts)}"


def platform_key(*parts: str | int, tagged: bool = False) -> str:
    """A Redis key that belongs to no tenant (``p:...``).

    With ``tagged=True`` the first part is a hash tag (``p:{media}:jobs``):
    tagged keys with the same first part share one hash slot.
    """
    key = _join(parts)
    if tagged:
        first, _, rest = key.partition(":")
        return f"p:{{{first}}}:{rest}" if rest else f"p:{{{first}}}"
    return f"p:{key}"
