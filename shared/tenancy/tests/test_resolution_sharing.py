"""Concurrent misses for one host share one load, and one asker going away fails nobody else.

No database: the load is replaced by one the test holds open (the sharing is
what is under test, not the registry queries, which other tests run against
PostgreSQL).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from stelly_tenancy.resolution import TenantResolver


class HeldResolver(TenantResolver):
    def __init__(self) -> None:
        super().__init__(None, "stelly.localhost")  # type: ignore[arg-type]
        self.loads = 0
        self.gate = asyncio.Event()
        self.outcome: Any = "pizza-tenant"

    async def _load(self, host: str) -> Any:
        self.loads += 1
        await self.gate.wait()
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


async def test_the_first_asker_going_away_does_not_fail_the_others() -> None:
    """A client that disconnects while its lookup runs (PostgreSQL slow) cancels only itself."""
    resolver = HeldResolver()
    first = asyncio.create_task(resolver.resolve("pizza.stelly.localhost"))
    await asyncio.sleep(0)
    others = [asyncio.create_task(resolver.resolve("pizza.stelly.localhost")) for _ in range(3)]
    await asyncio.sleep(0)
    first.cancel()  # the first asker's client went away
    await asyncio.sleep(0)
    resolver.gate.set()
    assert await asyncio.gather(*others) == ["pizza-tenant"] * 3
    assert first.cancelled()
    assert resolver.loads == 1  # one load served everyone
    # and the answer is cached for the next request
    assert await resolver.resolve("pizza.stelly.localhost") == "pizza-tenant"
    assert resolver.loads == 1


async def test_a_failed_load_reaches_every_asker_and_the_next_one_loads_again() -> None:
    resolver = HeldResolver()
    resolver.outcome = ConnectionRefusedError(111, "Connection refused")
    askers = [asyncio.create_task(resolver.resolve("pizza.stelly.localhost")) for _ in range(3)]
    await asyncio.sleep(0)
    resolver.gate.set()
    results = await asyncio.gather(*askers, return_exceptions=True)
    assert all(isinstance(r, ConnectionRefusedError) for r in results)
    resolver.outcome = "pizza-tenant"
    assert await resolver.resolve("pizza.stelly.localhost") == "pizza-tenant"
    assert resolver.loads == 2


async def test_every_asker_going_away_leaves_no_unretrieved_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    resolver = HeldResolver()
    resolver.outcome = ConnectionRefusedError(111, "Connection refused")
    asker = asyncio.create_task(resolver.resolve("pizza.stelly.localhost"))
    await asyncio.sleep(0)
    asker.cancel()
    resolver.gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert asker.cancelled()
    assert resolver.loads == 1
    import gc

    gc.collect()
    assert "exception was never retrieved" not in caplog.text
