"""The trace-id rule decides as the SDK's root sampler does, so edge, services and roots agree."""

from __future__ import annotations

import random

import pytest
from opentelemetry.sdk.trace.sampling import TraceIdRatioBased
from stelly_core.telemetry.sampling import TraceIdRule


@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.5, 1.0])
def test_the_rule_agrees_with_the_sdks_sampler(ratio: float) -> None:
    rule, sdk = TraceIdRule(ratio), TraceIdRatioBased(ratio)
    ids = [random.getrandbits(128) or 1 for _ in range(2000)]
    ids += [(1 << 64) - 1, 1 << 63, (1 << 63) - 1, 1]  # the edges of the bound at 0.5
    for trace_id in ids:
        expected = sdk.should_sample(None, trace_id, "x").decision.is_sampled()
        assert rule.sampled(trace_id) is expected
    if 0.0 < ratio < 1.0:  # both decisions happen
        assert {rule.sampled(t) for t in ids} == {True, False}


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _recorded(rule: TraceIdRule, clock: _Clock, per_second: int, seconds: int) -> list[int]:
    """Decide on ``per_second`` random trace ids in each of ``seconds`` seconds; recorded per second."""
    counts = []
    for _ in range(seconds):
        recorded = 0
        for _ in range(per_second):
            clock.now += 1.0 / per_second
            recorded += rule.sampled(random.getrandbits(128) or 1)
        counts.append(recorded)
    return counts


def test_a_busy_process_records_about_the_cap_a_second() -> None:
    clock = _Clock()
    rule = TraceIdRule(0.1, per_second=10, clock=clock)
    counts = _recorded(rule, clock, per_second=20_000, seconds=6)
    # the first tenth of a second knows no rate yet and decides at the ratio,
    # but the hard limit holds it to a full bucket plus a second's refill
    assert 0 < counts[0] <= 40, counts
    # from then on the ratio in force keeps it near the cap
    assert all(0 < count < 30 for count in counts[1:]), counts
    assert sum(counts[1:]) / 5 == pytest.approx(10, abs=5)
    assert rule.percentage == pytest.approx(100 * 10 / 20_000, rel=0.05)


def test_a_quiet_process_keeps_the_ratio() -> None:
    clock = _Clock()
    rule = TraceIdRule(0.1, per_second=10, clock=clock)
    _recorded(rule, clock, per_second=50, seconds=4)  # 5 a second at 0.1: under the cap
    assert rule.percentage == 10.0
    assert rule.bound == TraceIdRatioBased.get_bound_for_rate(0.1)


def test_the_ratio_comes_back_when_the_load_goes() -> None:
    clock = _Clock()
    rule = TraceIdRule(0.5, per_second=10, clock=clock)
    _recorded(rule, clock, per_second=10_000, seconds=2)
    assert rule.percentage < 1.0
    clock.now += 3600.0  # an idle hour, then one request: the ratio is back
    rule.sampled(1)
    assert rule.percentage == 50.0


def test_a_lower_ratio_records_a_subset_so_capped_processes_keep_traces_whole() -> None:
    # a busy process (capped to a low ratio) and a quiet one (at the configured
    # ratio) meet the same traces: every trace the busy one records, the quiet
    # one records too
    clock = _Clock()
    busy = TraceIdRule(0.1, per_second=10, clock=clock)
    _recorded(busy, clock, per_second=5_000, seconds=2)
    quiet = TraceIdRule(0.1, per_second=10)
    assert busy.percentage < quiet.percentage
    ids = [random.getrandbits(128) or 1 for _ in range(100_000)]
    by_busy = {t for t in ids if t & TraceIdRatioBased.TRACE_ID_LIMIT < busy.bound}
    assert len(by_busy) == pytest.approx(100_000 * busy.percentage / 100, rel=0.5)
    assert by_busy
    # (compared on the bounds: these 100,000 decisions are not a quiet process's traffic)
    assert all(t & TraceIdRatioBased.TRACE_ID_LIMIT < quiet.bound for t in by_busy)
    assert quiet.bound == TraceIdRatioBased.get_bound_for_rate(0.1)


def test_crafted_trace_ids_cannot_get_past_the_cap() -> None:
    """An attacker's ids below every bound: recorded at most twice the cap a second."""
    clock = _Clock()
    rule = TraceIdRule(0.1, per_second=10, clock=clock)
    counts = []
    for _ in range(5):
        recorded = 0
        for _ in range(20_000):
            clock.now += 1.0 / 20_000
            # a random high half, the lower 64 bits as small as they get
            recorded += rule.sampled(random.getrandbits(64) << 64 | 1)
        counts.append(recorded)
    assert counts[0] <= 40, counts  # a full bucket (20) and a second's refill (20)
    assert all(19 <= count <= 21 for count in counts[1:]), counts
    # honest ids keep their share of what the limit leaves once the flood stops
    clock.now += 10.0
    assert rule.sampled(random.getrandbits(64) << 64 | 1)


def test_without_a_cap_there_is_no_limit() -> None:
    # no cap (stelly dev): every id below the bound is recorded, crafted or not
    rule = TraceIdRule(1.0)
    assert all(rule.sampled(random.getrandbits(64) << 64 | 1) for _ in range(10_000))
