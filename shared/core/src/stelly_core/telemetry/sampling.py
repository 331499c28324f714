"""Which requests are recorded: a trace-id rule, at a ratio capped per second.

A client's ``traceparent`` keeps its trace id but not its sampled flag (a
client must not be able to force every request to be recorded). Every
process that decides on an HTTP request (the local gateway at the edge, each
service behind Front Door) decides with :class:`TraceIdRule`: the trace id's
lower 64 bits below a bound, which is ``TraceIdRatioBased``'s rule, the root
sampler ``configure_telemetry`` gives the SDK. Roots (no caller's trace) are
decided the same way on their fresh random trace id.

The ratio alone would record a fixed share however busy a process gets (a
tenth of 15,000 requests a second is 1,500 traces a second from one replica,
more than anyone reads and billed by the gigabyte in Application Insights),
so the rule also takes a cap in traces per second per process, as the Azure
Monitor distros' rate-limited sampler does. Every tenth of a second it
measures how many requests it decided on and sets the ratio for the next
tenth to what keeps the recorded ones at the cap, never above the
configured ratio (the distros adapt as fast: 0.1 s).

Invariants:
- At one ratio every process makes the same decision for the same trace
  id. At different ratios (a busy process capped lower than a quiet one)
  the traces the lower one records are a subset of the higher one's, so
  every trace recorded at the lowest ratio on its path is whole.
- Without a cap (``per_second`` 0) the ratio never changes, and the
  decision is exactly ``TraceIdRatioBased``'s.
- ``percentage`` is the ratio in force, in percent: what a span recorded
  now carries as its sample rate (Application Insights extrapolates counts
  from it).
- A decision costs a counter and a clock read; the ratio is recomputed at
  most every ``window`` seconds.
- With a cap there is a hard limit on top of the average, a token bucket:
  at most twice the cap a second over any stretch, after a burst of at most
  twice the cap from a full bucket. A caller chooses its trace id, and ids crafted to sit below every
  bound would otherwise all be recorded; the first window of a burst from
  idle (decided at the configured ratio: the rule has no rate yet) is
  limited by it too. Only what the ratio admits takes a token, so at the
  cap's average the bucket does not run dry and decisions stay the trace-id
  rule's.
- Not thread-safe by design: one event loop decides, and a lost count only
  shifts the next window's ratio slightly.
"""

from __future__ import annotations

from time import monotonic
from typing import TYPE_CHECKING

from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["TraceIdRule"]

_LIMIT = TraceIdRatioBased.TRACE_ID_LIMIT


class TraceIdRule:
    """Whether a trace id is recorded: below the bound of ``ratio``, lowered to stay under the cap.

    Args:
        ratio: the share of traces recorded while under the cap (0 to 1).
        per_second: about this many recorded traces a second in this
            process at most, on average (never more than twice as many);
            0 for no cap.
        window: how often (seconds) the ratio in force is recomputed.
        clock: seconds, monotonic (tests pass their own).
    """

    __slots__ = (
        "_clock",
        "_decided",
        "_filled",
        "_since",
        "_tokens",
        "bound",
        "per_second",
        "percentage",
        "ratio",
        "window",
    )

    def __init__(
        self,
        ratio: float,
        per_second: float = 0.0,
        *,
        window: float = 0.1,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        self._clock = clock
        self.ratio = ratio
        self.per_second = per_second
        self.window = window
        self.bound = 0
        self.percentage = 0.0
        self._set(ratio)
        self._decided = 0
        self._since = self._filled = clock()
        #: the hard limit's bucket: refilled at twice the cap, holding a second of that
        self._tokens = 2.0 * per_second

    def sampled(self, trace_id: int) -> bool:
        if not self.per_second:
            return trace_id & _LIMIT < self.bound
        self._decided += 1
        now = self._clock()
        if now - self._since >= self.window:
            self._adjust(now)
        if trace_id & _LIMIT >= self.bound:
            return False
        # A caller chooses its trace id, and ids crafted below every bound would
        # all be recorded whatever the ratio: a token bucket at twice the cap
        # bounds what is recorded anyway (it never empties at the cap's average).
        burst = 2.0 * self.per_second
        tokens = min(burst, self._tokens + (now - self._filled) * burst)
        self._filled = now
        if tokens < 1.0:
            self._tokens = tokens
            return False
        self._tokens = tokens - 1.0
        return True

    def _adjust(self, now: float) -> None:
        rate = self._decided / (now - self._since)
        self._set(min(self.ratio, self.per_second / rate))
        self._decided = 0
        self._since = now

    def _set(self, ratio: float) -> None:
        self.bound = TraceIdRatioBased.get_bound_for_rate(ratio)
        self.percentage = ratio * 100.0
