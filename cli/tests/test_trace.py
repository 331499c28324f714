"""``stelly trace``: a synthetic span directory, read by the real command."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from stelly_cli.main import cli
from stelly_cli.waterfall import peer_label, render_waterfall
from stelly_core.telemetry.spanfile import SpanRecord

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
MS = 1_000_000
T0 = 1_780_000_000 * 1_000_000_000


def _span(
    span_id: str,
    parent: str | None,
    name: str,
    service: str,
    pid: int,
    start_ms: float,
    end_ms: float,
    kind: str = "internal",
    attributes: dict[str, str | int] | None = None,
) -> SpanRecord:
    return SpanRecord(
        TRACE,
        span_id.ljust(16, "0"),
        None if parent is None else parent.ljust(16, "0"),
        name,
        kind,
        service,
        pid,
        T0 + int(start_ms * MS),
        T0 + int(end_ms * MS),
        attributes=dict(attributes or {}),
    )


SPANS = [
    _span(
        "a1",
        None,
        "POST /api/v1/store/orders",
        "gateway",
        100,
        0,
        40,
        "server",
        {"stelly.request_id": "req-abc"},
    ),
    _span("b1", "a1", "POST /api/v1/store/orders", "menu", 200, 2, 38, "server"),
    _span(
        "b2",
        "b1",
        "INSERT",
        "menu",
        200,
        5,
        9,
        "client",
        {"db.system": "postgresql", "server.address": "127.0.0.1", "server.port": 5432},
    ),
    _span(
        "b3",
        "b1",
        "XADD",
        "menu",
        200,
        12,
        13,
        "client",
        {"db.system": "redis", "net.peer.name": "127.0.0.1", "net.peer.port": 6379},
    ),
    _span("c1", "b1", "outbox relay", "menu", 201, 20, 22),
    _span("d1", "ffff", "ws deliver order.created", "realtime", 300, 30, 31, "consumer"),
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    traces = tmp_path / "state" / "traces"
    traces.mkdir(parents=True)
    by_file: dict[str, list[SpanRecord]] = {}
    for span in SPANS:
        by_file.setdefault(f"{span.service}-{span.pid}.jsonl", []).append(span)
    for name, spans in by_file.items():
        (traces / name).write_bytes(b"".join(msgspec.json.encode(s) + b"\n" for s in spans))
    # another trace, and a half-written line, in the same directory
    (traces / "menu-999.jsonl").write_bytes(
        msgspec.json.encode(
            SpanRecord("1" * 32, "2" * 16, None, "GET /", "server", "menu", 999, 1, 2)
        )
        + b'\n{"trace_id": "4bf9'
    )
    # unset: the trace directory comes from the state directory, as in a checkout
    unset = {k: None for k in os.environ if k.startswith(("STELLY_", "KZ_"))}
    return unset | {"STELLY_STATE_DIR": str(tmp_path / "state")}


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def stelly(env: dict[str, str | None], *args: str) -> Result:
    """The real command line, in this process (as a subprocess it would only start slower)."""
    result = CliRunner().invoke(cli, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


def test_a_request_id_prints_the_waterfall_across_processes_and_peers(
    env: dict[str, str | None],
) -> None:
    result = stelly(env, "trace", "req-abc")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"trace {TRACE}  6 spans, 6 processes, 40.0 ms")
    rows = lines[2:8]
    name_at, process_at = lines[1].index("SPAN"), lines[1].index("PROCESS")
    names = [row[name_at : row.index("|")].rstrip() for row in rows]
    processes = [row[process_at:name_at].strip() for row in rows]
    # tree order and indentation: the gateway's span, the menu's under it, its children deeper
    assert names == [
        "POST /api/v1/store/orders",
        "  POST /api/v1/store/orders",
        "    INSERT",
        "    XADD",
        "    outbox relay",
        "^ ws deliver order.created",  # its parent is not on disk: a root, marked, not lost
    ]
    assert processes == [
        "gateway",
        "menu[200]",
        "postgresql 127.0.0.1:5432",
        "redis 127.0.0.1:6379",
        "menu[201]",
        "realtime",
    ]
    assert "parent span is not on disk" in lines[-1]
    # offsets and durations in ms; bars scaled to the trace (40 ms over 32 columns)
    assert rows[0].split()[:2] == ["0.0", "40.0"]
    assert rows[2].split()[:2] == ["5.0", "4.0"]
    assert rows[0].split("|")[1] == "█" * 32
    assert rows[2].split("|")[1] == " " * 4 + "█" * 3 + " " * 25


def test_a_trace_id_and_json(env: dict[str, str | None]) -> None:
    by_request = stelly(env, "trace", "req-abc", "--json")
    by_trace = stelly(env, "trace", TRACE, "--json")
    assert by_request.returncode == by_trace.returncode == 0, by_trace.stderr
    spans = json.loads(by_trace.stdout)
    assert spans == json.loads(by_request.stdout)
    assert len(spans) == 6
    assert {s["trace_id"] for s in spans} == {TRACE}
    assert [s["service"] for s in spans] == ["gateway", "menu", "menu", "menu", "menu", "realtime"]
    assert spans[2]["attributes"]["db.system"] == "postgresql"


def test_an_unknown_id_exits_1_with_a_message(env: dict[str, str | None], tmp_path: Path) -> None:
    for ident in ("nope", "f" * 32):
        result = stelly(env, "trace", ident)
        assert result.returncode == 1
        assert f"no trace with id or request id {ident!r}" in result.stderr
        assert str(tmp_path / "state" / "traces") in result.stderr
    elsewhere = env | {"STELLY_TRACE_DIR": str(tmp_path / "empty")}
    assert stelly(elsewhere, "trace", "req-abc").returncode == 1


def test_several_processes_of_a_service_get_their_pid_and_one_gets_none() -> None:
    lines = render_waterfall(TRACE, [s for s in SPANS if s.pid != 201])
    assert any("menu " in line and "menu[" not in line for line in lines[2:])
    assert render_waterfall(TRACE, []) == [f"trace {TRACE}: no spans"]


def test_only_client_spans_to_a_database_name_a_peer() -> None:
    socket = _span(
        "e1", None, "SELECT", "menu", 200, 0, 1, "client",
        {"db.system.name": "postgresql", "server.address": "/tmp/x/pg/.s.PGSQL.5432"},
    )  # fmt: skip
    publish = _span(
        "e2", None, "publish kitchen", "menu", 200, 0, 1, "producer", {"messaging.system": "redis"}
    )
    no_address = _span("e3", None, "GET", "menu", 200, 0, 1, "client", {"db.system": "redis"})
    assert peer_label(socket) == "postgresql unix:.s.PGSQL.5432"
    assert peer_label(publish) is None
    assert peer_label(no_address) == "redis"
    assert peer_label(SPANS[0]) is None  # a server span
