"""Host → tenant, cached in-process (SPEC §2, step 3).

``{slug}.{base_domain}`` resolves by slug, any other host (or a name under
the base domain that no slug claims) through the verified custom domains.
Each host costs one or two indexed queries when it is not cached, so the cost
per request does not grow with the number of tenants; hits cost a dict
lookup. Entries live ``ttl`` seconds, unknown hosts included (so a flood of
garbage hosts is cheap), the cache is bounded, concurrent misses for one host
share one query (the resolver's own task: an asker that goes away cancels
nobody else's answer), and :meth:`TenantResolver.clear` is called by the Redis
invalidation listener when any tenant changes.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from stelly_tenancy.models import RESERVED_SLUGS, SLUG
from stelly_tenancy.registry import fetch_by_domain, fetch_by_slug

if TYPE_CHECKING:
    from collections.abc import Callable

    import asyncpg

    from stelly_tenancy.models import Tenant

__all__ = ["TenantResolver", "slug_for_host"]


def slug_for_host(host: str, base_domain: str) -> str | None:
    """The slug a host names under the platform domain, if it is such a host.

    Args:
        host: a normalised host.
        base_domain: ``STELLY_BASE_DOMAIN``.

    Returns:
        The first label of ``{slug}.{base_domain}``, or ``None`` for any
        other host (a custom domain, or a deeper name).
    """
    prefix = host.removesuffix("." + base_domain)
    if prefix == host or "." in prefix:
        return None
    return prefix


class TenantResolver:
    """Resolves normalised hosts to tenants with a bounded TTL cache."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        base_domain: str,
        *,
        ttl: float = 5.0,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._base_domain = base_domain
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._cache: dict[str, tuple[float, Tenant | None]] = {}
        self._inflight: dict[str, asyncio.Task[Tenant | None]] = {}
        self._generation = 0

    def clear(self) -> None:
        """Forget every cached resolution (a tenant changed somewhere)."""
        self._cache.clear()
        self._generation += 1

    async def resolve(self, host: str) -> Tenant | None:
        """The tenant a normalised host names, or ``None``.

        Args:
            host: a host as returned by :func:`~stelly_tenancy.hosts.normalize_host`.

        Returns:
            The tenant (active or suspended), or ``None`` when unknown.
        """
        entry = self._cache.get(host)
        if entry is not None and entry[0] > self._clock():
            return entry[1]
        pending = self._inflight.get(host)
        if pending is None:
            # the load is the resolver's task, not the first asker's: an asker that
            # goes away (its client disconnected) must not cancel it for the others
            pending = asyncio.get_running_loop().create_task(
                self._load_and_store(host, self._generation)
            )
            pending.add_done_callback(_retrieve)
            self._inflight[host] = pending
        return await asyncio.shield(pending)

    async def _load_and_store(self, host: str, generation: int) -> Tenant | None:
        try:
            tenant = await self._load(host)
        finally:
            del self._inflight[host]
        if generation == self._generation:
            self._store(host, tenant)
        return tenant

    def _store(self, host: str, tenant: Tenant | None) -> None:
        self._cache.pop(host, None)
        if len(self._cache) >= self._max_entries:
            del self._cache[next(iter(self._cache))]  # the oldest insertion
        self._cache[host] = (self._clock() + self._ttl, tenant)

    async def _load(self, host: str) -> Tenant | None:
        slug = slug_for_host(host, self._base_domain)
        if slug in RESERVED_SLUGS:
            return None  # console.{base} and the like are never a tenant, by any table
        if slug is not None and SLUG.fullmatch(slug):
            tenant = await fetch_by_slug(self._pool, slug)
            if tenant is not None:
                return tenant
        # Any other host, and a name under the base domain that no slug
        # claims: the verified custom domains. The console refuses custom
        # domains under the base domain except `*.localhost` in development
        # (the local stack's only way to have one), so in production this
        # second lookup only ever confirms an unknown host (and is cached so).
        return await fetch_by_domain(self._pool, host)


def _retrieve(task: asyncio.Task[Tenant | None]) -> None:
    """Mark a load's failure as seen: its askers re-raise it, or none was left to."""
    if not task.cancelled():
        task.exception()
