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
