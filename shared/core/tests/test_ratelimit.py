from __future__ import annotations

from stelly_core.ratelimit import RateLimit, RateLimiter
from stelly_core.redis import connect_redis

LOGIN = RateLimit("login-test", limit=3, period=60)


async def test_limit_refuses_past_the_burst_with_retry_after(
    redis_url: str, unique_slug: str
) -> None:
    redis = connect_redis(redis_url)
    limiter = RateLimiter(redis)
    client = f"198.51.100.1-{unique_slug}"
    verdicts = [await limiter.hit(LOGIN, 1, client) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 1 <= verdicts[-1].retry_after <= 20
    # other clients and other tenants are counted apart
    assert (await limiter.hit(LOGIN, 1, client + "-other")).allowed
    assert (await limiter.hit(LOGIN, 2, client)).allowed
    await redis.aclose()


async def test_hostile_client_strings_stay_inside_their_tenants_key(
    redis_url: str, unique_slug: str
) -> None:
    redis = connect_redis(redis_url)
    limiter = RateLimiter(redis)
    hostile = f"x:*:{unique_slug}\n" + "y" * 5000
    assert (await limiter.hit(LOGIN, 3, hostile)).allowed
    keys = [k.decode() async for k in redis.scan_iter(match="t:3:rl:login-test:*")]
    assert len(keys) >= 1
    assert all(len(k) < 200 and "\n" not in k for k in keys)
    await redis.aclose()


async def test_cost_zero_checks_without_counting(redis_url: str, unique_slug: str) -> None:
    redis = connect_redis(redis_url)
    limiter = RateLimiter(redis)
    client = f"check-{unique_slug}"
    assert all([(await limiter.hit(LOGIN, 1, client, cost=0)).allowed for _ in range(10)])
    for _ in range(3):
        assert (await limiter.hit(LOGIN, 1, client)).allowed
    check = await limiter.hit(LOGIN, 1, client, cost=0)
    assert not check.allowed
    assert check.retry_after >= 1
    await redis.aclose()


async def test_any_client_string_is_counted_on_its_own(redis_url: str, unique_slug: str) -> None:
    """The empty string is a client too, and long ones sharing a prefix are counted apart."""
    redis = connect_redis(redis_url)
    limiter = RateLimiter(redis)
    rule = RateLimit(f"any-{unique_slug}", limit=1, period=60)
    assert [(await limiter.hit(rule, 4, "")).allowed for _ in range(2)] == [True, False]
    prefix = "p" * 100
    assert (await limiter.hit(rule, 4, prefix + "-a")).allowed
    assert (await limiter.hit(rule, 4, prefix + "-b")).allowed
    await redis.aclose()
