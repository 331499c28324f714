"""The sampling rule for a trace that came from elsewhere: decided by its trace id.

A client's ``traceparent`` keeps its trace id but not its sampled flag (a
client must not be able to force every request to be recorded). Every
process that meets such a trace (the local gateway at the edge, each
service behind Front Door) decides with this one rule, which is
``TraceIdRatioBased``'s, the root sampler ``configure_telemetry`` gives the
SDK: so all of them make the same decision for the same trace id at the
same ratio, and a trace stays whole across them.
"""

from __future__ import annotations

from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

__all__ = ["TraceIdRule"]

_LIMIT = TraceIdRatioBased.TRACE_ID_LIMIT


class TraceIdRule:
    """Whether a trace id is sampled at ``ratio`` (its lower 64 bits below the SDK's bound)."""

    __slots__ = ("bound",)

    def __init__(self, ratio: float) -> None:
        self.bound = TraceIdRatioBased.get_bound_for_rate(ratio)

    def sampled(self, trace_id: int) -> bool:
        return trace_id & _LIMIT < self.bound
