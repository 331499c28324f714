"""The local span files: what the exporter writes, how big they may grow, what the reader finds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode
from stelly_core.telemetry.spanfile import SpanFileExporter, SpanRecord
from stelly_core.telemetry.spanstore import (
    find_trace_id,
    load_trace,
    read_spans,
    resolve_trace,
    span_files,
)


def _provider(directory: Path, service: str, **limits: int) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(SpanFileExporter(directory, service, **limits)))
    return provider


def test_spans_of_a_request_are_written_and_found_by_trace_and_request_id(tmp_path: Path) -> None:
    tracer = _provider(tmp_path, "menu").get_tracer("test")
    with (
        tracer.start_as_current_span(
            "POST /api/v1/store/orders",
            kind=SpanKind.SERVER,
            attributes={"stelly.request_id": "req-1", "tenant.slug": "pizza", "http.status": 201},
        ) as root,
        tracer.start_as_current_span(
            "INSERT",
            kind=SpanKind.CLIENT,
            attributes={"db.system": "postgresql", "server.port": 5432, "tags": ("a", "b")},
        ) as child,
    ):
        child.set_status(Status(StatusCode.ERROR, "boom"))
        child.add_event("retry", {"attempt": 2})
    trace_id = format(root.get_span_context().trace_id, "032x")

    files = span_files(tmp_path)
    assert [f.name for f in files] == [f"menu-{os.getpid()}.jsonl"]
    lines = files[0].read_bytes().splitlines()
    assert len(lines) == 2  # one JSON object per span per line
    spans = load_trace(tmp_path, trace_id)
    assert [s.name for s in spans] == ["POST /api/v1/store/orders", "INSERT"]
    server, client = spans
    assert server.parent_span_id is None and server.kind == "server"
    assert client.parent_span_id == server.span_id and client.kind == "client"
    assert server.service == "menu" and server.pid == os.getpid()
    assert server.attributes["tenant.slug"] == "pizza" and server.attributes["http.status"] == 201
    assert client.attributes["tags"] == ["a", "b"]
    assert client.status == "error" and client.status_message == "boom"
    assert client.events[0].name == "retry" and client.events[0].attributes == {"attempt": 2}
    assert server.end >= client.end >= client.start >= server.start > 0
    assert find_trace_id(tmp_path, "req-1") == trace_id
    assert find_trace_id(tmp_path, "req-2") is None
    assert resolve_trace(tmp_path, "req-1") == (trace_id, spans)
    assert resolve_trace(tmp_path, trace_id.upper()) == (trace_id, spans)
    assert resolve_trace(tmp_path, "f" * 32) is None


def test_a_partially_written_last_line_is_skipped(tmp_path: Path) -> None:
    tracer = _provider(tmp_path, "realtime").get_tracer("test")
    with tracer.start_as_current_span("ws", attributes={"stelly.request_id": "r"}) as span:
        pass
    path = span_files(tmp_path)[0]
    whole = path.read_bytes()
    with path.open("ab") as out:  # a writer caught mid-line, and a stray line
        out.write(b"not json\n" + whole[: len(whole) // 2])
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert [s.name for s in load_trace(tmp_path, trace_id)] == ["ws"]
    assert find_trace_id(tmp_path, "r") == trace_id
    assert len(list(read_spans(tmp_path))) == 1


def test_a_file_is_rotated_at_its_size_and_one_old_file_kept(tmp_path: Path) -> None:
    tracer = _provider(tmp_path, "gateway", max_bytes=4096).get_tracer("test")
    for index in range(200):
        with tracer.start_as_current_span(
            f"GET /{index}", attributes={"stelly.request_id": f"q{index}"}
        ):
            pass
    names = sorted(f.name for f in tmp_path.iterdir())
    pid = os.getpid()
    assert names == [f"gateway-{pid}.jsonl", f"gateway-{pid}.jsonl.1"]
    assert all(f.stat().st_size <= 4096 for f in tmp_path.iterdir())
    assert find_trace_id(tmp_path, "q199") is not None  # the newest survive
    assert find_trace_id(tmp_path, "q0") is None  # the oldest were rotated away


def test_the_directory_is_kept_under_its_total_budget(tmp_path: Path) -> None:
    for pid in range(10):  # files other processes left behind, oldest first
        old = tmp_path / f"menu-{pid + 1_000_000}.jsonl"
        old.write_bytes(b"x" * 1000 + b"\n")
        os.utime(old, (1_000_000 + pid, 1_000_000 + pid))
    tracer = _provider(tmp_path, "menu", max_bytes=2000, max_total_bytes=6000).get_tracer("t")
    with tracer.start_as_current_span("GET /"):
        pass
    left = {f.name for f in tmp_path.iterdir()}
    assert f"menu-{os.getpid()}.jsonl" in left
    assert sum(f.stat().st_size for f in tmp_path.iterdir()) <= 6000
    assert "menu-1000009.jsonl" in left and "menu-1000000.jsonl" not in left


def test_processes_write_their_own_files_and_the_reader_joins_them(tmp_path: Path) -> None:
    script = """
import sys
from pathlib import Path
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from stelly_core.telemetry.spanfile import SpanFileExporter

directory, service, trace_id, parent = sys.argv[1:5]
provider = TracerProvider(resource=Resource.create({"service.name": service}))
provider.add_span_processor(SimpleSpanProcessor(SpanFileExporter(Path(directory), service)))
remote = SpanContext(int(trace_id, 16), int(parent, 16), True, TraceFlags(1))
context = trace.set_span_in_context(NonRecordingSpan(remote))
for _ in range(50):
    provider.get_tracer("t").start_span(service + " work", context=context).end()
"""
    trace_id, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    children = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), name, trace_id, parent])
        for name in ("menu", "realtime", "menu")
    ]
    assert [child.wait(60) for child in children] == [0, 0, 0]
    assert len(span_files(tmp_path)) == 3
    spans = load_trace(tmp_path, trace_id)
    assert len(spans) == 150
    assert {s.parent_span_id for s in spans} == {parent}
    assert len({(s.service, s.pid) for s in spans}) == 3


def test_records_round_trip_through_json(tmp_path: Path) -> None:
    record = SpanRecord("a" * 32, "b" * 16, None, "x", "internal", "menu", 1, 10, 20)
    assert msgspec.json.decode(msgspec.json.encode(record), type=SpanRecord) == record
    assert record.duration_ns == 10


def test_an_unwritable_directory_fails_the_batch_without_raising_and_warns_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the directory should be")
    exporter = SpanFileExporter(blocked, "menu")
    tracer = TracerProvider().get_tracer("t")
    spans = []
    for _ in range(3):
        with tracer.start_as_current_span("GET /") as span:
            pass
        spans.append(span)
    with caplog.at_level("WARNING", logger="stelly.telemetry"):
        results = [exporter.export([s]) for s in spans]  # type: ignore[list-item]
    assert results == [SpanExportResult.FAILURE] * 3
    assert len([r for r in caplog.records if "cannot write" in r.getMessage()]) == 1
    blocked.unlink()
    blocked.mkdir()
    assert exporter.export(spans) == SpanExportResult.SUCCESS  # type: ignore[arg-type]
    assert len(load_trace(blocked, format(spans[0].get_span_context().trace_id, "032x"))) == 1


def test_the_processor_writes_from_its_thread_and_everything_at_flush_and_shutdown(
    tmp_path: Path,
) -> None:
    from stelly_core.telemetry.spanfile import SpanFileProcessor

    processor = SpanFileProcessor(SpanFileExporter(tmp_path, "menu"), interval=0.05, max_batch=4)
    provider = TracerProvider(resource=Resource.create({"service.name": "menu"}))
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    for n in range(10):
        tracer.start_span(f"span {n}").end()
    processor.force_flush()
    names = [s.name for s in read_spans(tmp_path)]
    assert sorted(names) == sorted(f"span {n}" for n in range(10))  # none lost, none twice
    tracer.start_span("last").end()
    processor.shutdown()
    assert [s.name for s in read_spans(tmp_path)].count("last") == 1
    tracer.start_span("after shutdown").end()
    processor.force_flush()
    assert "after shutdown" not in [s.name for s in read_spans(tmp_path)]
