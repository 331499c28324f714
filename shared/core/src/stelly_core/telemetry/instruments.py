"""Stelly's own metric instruments, defined once: names, units and allowed attributes.

Services record through :func:`instruments`; the process's MeterProvider
(``configure_telemetry``: Prometheus ``/metrics``, Azure Monitor) exports them.

Invariants:
- Semantic-convention names where one exists (``messaging.process.duration``,
  ``messaging.client.consumed.messages``), ``stelly.*`` otherwise.
- Attributes are bounded enumerations: a channel template, an event type, a
  rate-limit rule's name, a fulfilment kind, an outcome. Never a tenant, an
  id, an e-mail or an address (those go on spans and log lines).
- Observable gauges do no I/O in their callbacks (they run on the exporter's
  thread, at scrape time): the loop that owns the value (the outbox relay,
  the media worker) refreshes a :class:`GaugeValue` on each pass and the
  callback reads it. A value never set is not reported.
- :func:`instruments` follows the global MeterProvider: the set is built on
  first use for the provider installed at that moment and rebuilt if another
  is installed (a test's). Until an SDK provider is installed, measurements
  go to no-op instruments (nothing would export them anyway).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from opentelemetry import metrics
from opentelemetry.metrics import NoOpMeterProvider, Observation
from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from opentelemetry.metrics import CallbackOptions, Meter, MeterProvider

__all__ = [
    "JOB_DURATION_BUCKETS",
    "MEDIA_QUEUE_DEPTH",
    "OUTBOX_DEPTH",
    "OUTBOX_OLDEST_AGE",
    "GaugeValue",
    "Instruments",
    "instruments",
]

#: ``messaging.process.duration``: the advised boundaries, and longer for big images.
JOB_DURATION_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 30.0, 60.0,
)  # fmt: skip


class GaugeValue:
    """The latest values of an observable gauge, one per attribute set, set by their owner.

    Setting is a dict assignment (atomic under the GIL), so the event loop
    sets and the exporter's thread reads without a lock.
    """

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[tuple[tuple[str, str], ...], float] = {}

    def set(self, value: float, attributes: Mapping[str, str] | None = None) -> None:
        """Record the current value (for these attributes)."""
        self._values[_key(attributes)] = value

    def clear(self) -> None:
        """Forget every value: nothing is reported until the next :meth:`set`."""
        self._values = {}

    def get(self, attributes: Mapping[str, str] | None = None) -> float | None:
        """The value last set for these attributes, if any."""
        return self._values.get(_key(attributes))

    def observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        """The gauge's callback: the values as they are, no I/O."""
        return [Observation(value, dict(key)) for key, value in list(self._values.items())]


def _key(attributes: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    """A :class:`GaugeValue`'s key for an attribute set (order-independent)."""
    return tuple(sorted((attributes or {}).items()))


#: Events waiting in the outbox (``event_outbox`` rows), as the relay last counted them.
OUTBOX_DEPTH = GaugeValue()
#: Seconds the oldest waiting event has waited (0 when the outbox is empty).
OUTBOX_OLDEST_AGE = GaugeValue()
#: Media jobs in the queue by ``stelly.queue.state`` (``waiting`` or ``pending``).
MEDIA_QUEUE_DEPTH = GaugeValue()


class Instruments:
    """Every instrument of a Stelly process, created on one meter."""

    def __init__(self, meter: Meter) -> None:
        # realtime (services/realtime): attributes messaging.destination.template
        self.websocket_connections = meter.create_up_down_counter(
            "stelly.realtime.connections",
            unit="{connection}",
            description="WebSocket connections open in this process",
        )
        self.websocket_subscriptions = meter.create_up_down_counter(
            "stelly.realtime.subscriptions",
            unit="{subscription}",
            description="Channel subscriptions of this process's WebSockets",
        )
        self.events_consumed = meter.create_counter(
            "messaging.client.consumed.messages",
            unit="{message}",
            description="Events received from Redis pub/sub for local subscribers",
        )
        self.event_deliveries = meter.create_counter(
            "stelly.realtime.deliveries",
            unit="{message}",
            description="Event frames fanned out to WebSockets",
        )
        # outbox (every producer's relay)
        meter.create_observable_gauge(
            "stelly.outbox.depth",
            callbacks=[OUTBOX_DEPTH.observe],
            unit="{event}",
            description="Events committed and not yet relayed to Redis",
        )
        meter.create_observable_gauge(
            "stelly.outbox.oldest_age",
            callbacks=[OUTBOX_OLDEST_AGE.observe],
            unit="s",
            description="How long the oldest event in the outbox has waited",
        )
        # media jobs: attributes messaging.system, messaging.destination.name, and
        # stelly.queue.state (depth) or messaging.operation.name, error.type (duration)
        meter.create_observable_gauge(
            "stelly.queue.depth",
            callbacks=[MEDIA_QUEUE_DEPTH.observe],
            unit="{message}",
            description="Image jobs in the queue, waiting or held by a worker",
        )
        self.job_duration = meter.create_histogram(
            "messaging.process.duration",
            unit="s",
            description="Time a worker spent on one image job, settlement included",
            explicit_bucket_boundaries_advisory=JOB_DURATION_BUCKETS,
        )
        # menu: orders and staff logins
        self.orders_created = meter.create_counter(
            "stelly.orders.created",
            unit="{order}",
            description="Orders placed (replays of an Idempotency-Key not counted)",
        )
        self.login_failures = meter.create_counter(
            "stelly.auth.login.failures",
            unit="{attempt}",
            description="Logins refused for a wrong e-mail or password",
        )
        self.rate_limit_refusals = meter.create_counter(
            "stelly.ratelimit.refusals",
            unit="{request}",
            description="Hits refused by a rate limit, by rule",
        )


_lock = threading.Lock()
_current: tuple[MeterProvider, Instruments] | None = None
_noop: Instruments | None = None


def instruments() -> Instruments:
    """The instruments of the global MeterProvider (no-op ones until an SDK provider is set)."""
    global _current, _noop
    provider = metrics.get_meter_provider()
    current = _current
    if current is not None and current[0] is provider:
        return current[1]
    with _lock:
        if not isinstance(provider, SdkMeterProvider):
            # the API's proxy: instruments made on it would be re-made on the real
            # provider when one is set, next to ours; record nothing until then
            if _noop is None:
                _noop = Instruments(NoOpMeterProvider().get_meter("stelly"))
            return _noop
        current = _current
        if current is None or current[0] is not provider:
            current = _current = (provider, Instruments(provider.get_meter("stelly")))
        return current[1]
