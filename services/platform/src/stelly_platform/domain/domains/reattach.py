"""Putting verified custom domains back on Front Door's routes after a deployment.

Each ``azd provision`` writes every route's ``customDomains`` anew from Bicep
(the wildcard only), which drops the tenants' domains the platform added at
run time. So every platform process, when it starts (a deployment starts new
revisions), reads the verified domains that are on Front Door and adds back
the ones a route lacks: one read per tenant route, and one write for each
route that lost some, under the same advisory lock as every other Front Door
change. It retries with backoff until it has done so once, logging the first
failure only (the database or Azure may be starting too).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from stelly_platform.domain.domains.services import frontdoor_lock

if TYPE_CHECKING:
    from stelly_platform.runtime import PlatformRuntime

__all__ = ["reattach_until_done", "reattach_verified"]

_log = logging.getLogger("stelly.platform.frontdoor")
_MAX_DELAY = 300.0


async def reattach_verified(runtime: PlatformRuntime) -> int:
    """Add every verified Front Door domain back to the tenant routes that lack it.

    Returns:
        The number of route updates made.
    """
    frontdoor = runtime.frontdoor
    if frontdoor is None:
        return 0
    async with runtime.db.platform() as conn:
        rows = await conn.fetch(
            "SELECT domain FROM public.tenant_domains"
            " WHERE status = 'verified' AND certificate IS NOT NULL ORDER BY domain"
        )
    if not rows:
        return 0
    async with frontdoor_lock(runtime):
        return await frontdoor.reattach([row["domain"] for row in rows])


async def reattach_until_done(runtime: PlatformRuntime, *, first_delay: float = 1.0) -> None:
    """:func:`reattach_verified` until it succeeds once (a background task of the process)."""
    delay = first_delay
    failed = False
    while True:
        try:
            updates = await reattach_verified(runtime)
        except Exception as exc:
            if not failed:
                _log.warning("custom domains not yet put back on Front Door, retrying: %s", exc)
                failed = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY)
            continue
        if updates or failed:
            _log.info("custom domains are on Front Door's routes (%d route updates)", updates)
        return
