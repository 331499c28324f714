"""Application Insights wiring: the Azure Monitor distro for metrics and logs, our tracer for spans.

Application Insights cannot run locally, so the connection string names a
closed local port: these tests check what is wired (in a child process, as
the distro sets process-wide providers), not that telemetry arrives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import json, logging
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from azure.monitor.opentelemetry.exporter.export.trace._exporter import _convert_span_to_envelope
from stelly_core.telemetry.setup import configure_telemetry
memory = InMemorySpanExporter()
telemetry = configure_telemetry("stelly-menu", span_processors=[SimpleSpanProcessor(memory)])
provider = telemetry.tracer_provider
exporters = [
    type(p.span_exporter).__name__
    for p in provider._active_span_processor._span_processors
    if isinstance(p, BatchSpanProcessor)
]
from litestar import Litestar, get
from litestar.testing import TestClient
from stelly_core.telemetry.plugin import TelemetryPlugin
from stelly_core.telemetry.sampling import TraceIdRule

@get("/x")
async def x() -> str:
    with trace.get_tracer("stelly.test").start_as_current_span("child"):
        return "ok"

def rates(trace_id):
    # a recorded request (the middleware's server span, an SDK child): each span's sample rate
    memory.clear()
    with TestClient(Litestar([x], plugins=[TelemetryPlugin(telemetry)])) as client:
        header = f"00-{trace_id:032x}-00f067aa0ba902b7-01"
        assert client.get("/x", headers={"traceparent": header}).status_code == 200
    recorded = memory.get_finished_spans()
    return (
        {s.name: s.attributes.get("_MS.sampleRate") for s in recorded},
        {s.name: _convert_span_to_envelope(s).sample_rate for s in recorded},
    )

sample_rates, envelope_sample_rates = rates(0x0AF7651916CD43DD0000000000000001)
# a busy process: 10,000 requests a second against a cap of 10 lowers the ratio to 0.1 %
now = [0.0]
telemetry.sampling = TraceIdRule(0.25, per_second=10, clock=lambda: now[0])
for _ in range(20_000):  # two seconds: the second one is decided at the lowered ratio
    now[0] += 1e-4
    telemetry.sampling.sampled(1 << 63)
capped_rates, capped_envelope_rates = rates(0x0AF7651916CD43DD0000000000000001)
readers = [type(r).__name__ for r in telemetry.meter_provider._metric_readers]
print(json.dumps({
    "exporters": exporters,
    "sampler": provider.sampler.get_description(),
    "readers": readers,
    "global_meter_provider": metrics.get_meter_provider() is telemetry.meter_provider,
    "requests_instrumented": RequestsInstrumentor().is_instrumented_by_opentelemetry,
    "redis_instrumented": RedisInstrumentor().is_instrumented_by_opentelemetry,
    "service": provider.resource.attributes["service.name"],
    "azure_level": logging.getLogger("azure").getEffectiveLevel(),
    "sample_rates": sample_rates,
    "envelope_sample_rates": envelope_sample_rates,
    "capped_rates": capped_rates,
    "capped_envelope_rates": capped_envelope_rates,
}))
"""


def test_the_distro_exports_and_our_sampler_decides() -> None:
    env = {
        **os.environ,
        "APPLICATIONINSIGHTS_CONNECTION_STRING": (
            "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
            "IngestionEndpoint=http://127.0.0.1:9/"
        ),
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
        "STELLY_TRACE_SAMPLE_RATIO": "0.25",
    }
    env.pop("STELLY_TRACE_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    wired = json.loads(done.stdout.strip().splitlines()[-1])
    assert wired["exporters"] == ["AzureMonitorTraceExporter"]
    assert wired["sampler"].startswith("ParentBased{root:TraceIdRatioBased{0.25},")
    assert "PrometheusMetricReader" in wired["readers"]
    assert "PeriodicExportingMetricReader" in wired["readers"]  # the distro's, to App Insights
    assert wired["global_meter_provider"] is True
    assert wired["requests_instrumented"] is False  # the distro's own instrumentations are off
    assert wired["redis_instrumented"] is True  # ours are on
    assert wired["service"] == "stelly-menu"
    assert wired["azure_level"] == 30
    # Application Insights extrapolates counts from each item's sample rate (percent)
    assert wired["sample_rates"] == {"child": 25.0, "GET /x": 25.0}
    assert wired["envelope_sample_rates"] == {"child": 25.0, "GET /x": 25.0}
    # over the traces-per-second cap the ratio in force is lower, and a
    # request recorded then says so on its server span and its children
    assert wired["capped_rates"]["GET /x"] == wired["capped_rates"]["child"]
    assert 0.08 < wired["capped_rates"]["GET /x"] < 0.12
    assert wired["capped_envelope_rates"]["child"] == wired["capped_rates"]["child"]
