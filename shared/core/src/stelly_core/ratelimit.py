"""A Redis rate limiter: one round trip per check (GCRA in a Lua script).

The generic cell rate algorithm stores one timestamp per key, allows bursts
up to ``limit`` and spaces the rest evenly over ``period``; the script answers
whether this hit is allowed and, if not, how long to wait. A refused hit
counts in ``stelly.ratelimit.refusals`` by rule name (rule names are
constants in code, so the attribute is bounded).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stelly_core.cachekeys import platform_key, tenant_key
from stelly_core.telemetry.instruments import instruments

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RateLimit", "RateLimiter", "RateVerdict"]

# KEYS[1] key; ARGV: emission interval (ms), burst tolerance (ms), cost
_GCRA = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local cost = tonumber(ARGV[3])
-- cost 0 only checks: it answers whether one more hit would pass, and counts nothing
local new_tat = tat + interval * math.max(cost, 1)
local allow_at = new_tat - tolerance - interval
if allow_at > now then
  return {0, allow_at - now}
end
if cost > 0 then
  redis.call('SET', KEYS[1], tat + interval * cost, 'PX', tat + interval * cost - now + 1000)
end
return {1, 0}
"""


#: longer client names are hashed, so that two never share a bucket by a common prefix
_MAX_HEX = 128


def _client_part(client: str) -> str:
    """A key part naming ``client``: any text, the empty string included, one-to-one.

    Hex of the UTF-8 bytes (``-`` for the empty string, which hex never
    gives), or ``h`` and a SHA-256 when that would be long (hex has no ``h``).
    """
    hexed = client.encode().hex()
    if not hexed:
        return "-"
    if len(hexed) > _MAX_HEX:
        return "h" + hashlib.sha256(client.encode()).hexdigest()
    return hexed


@dataclass(frozen=True, slots=True)
class RateLimit:
    """``limit`` hits per ``period`` seconds, bursting up to ``limit``."""

    name: str
    limit: int
    period: float


@dataclass(frozen=True, slots=True)
class RateVerdict:
    allowed: bool
    retry_after: int  # whole seconds, at least 1 when refused


class RateLimiter:
    """Checks rate limits keyed by tenant and client."""

    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(_GCRA)

    async def hit(
        self, limit: RateLimit, tenant_id: int, client: str, cost: int = 1
    ) -> RateVerdict:
        """Count one hit and say whether it is allowed.

        Args:
            limit: the rule.
            tenant_id: the tenant it is counted under.
            client: who is counted (an address, an e-mail, a user id).
            cost: how many hits this counts for; ``0`` only checks.

        Returns:
            The verdict with the seconds to wait when refused.
        """
        key = tenant_key(tenant_id, "rl", limit.name, _client_part(client))
        return await self._hit_key(limit, key, cost)

    async def hit_platform(self, limit: RateLimit, client: str, cost: int = 1) -> RateVerdict:
        """Count one hit of a rule that belongs to no tenant (the platform console's logins).

        Args:
            limit: the rule.
            client: who is counted (an address, an e-mail).
            cost: how many hits this counts for; ``0`` only checks.

        Returns:
            The verdict with the seconds to wait when refused.
        """
        return await self._hit_key(
            limit, platform_key("rl", limit.name, _client_part(client)), cost
        )

    async def _hit_key(self, limit: RateLimit, key: str, cost: int) -> RateVerdict:
        interval = limit.period * 1000 / limit.limit
        tolerance = interval * (limit.limit - 1)
        allowed, wait_ms = await self._script(
            keys=[key], args=[round(interval), round(tolerance), cost]
        )
        if not allowed and cost > 0:  # a check (cost 0) refuses nothing by itself
            instruments().rate_limit_refusals.add(1, {"stelly.ratelimit.rule": limit.name})
        return RateVerdict(bool(allowed), 0 if allowed else max(1, math.ceil(int(wait_ms) / 1000)))
