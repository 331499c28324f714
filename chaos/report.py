"""The chaos report: ``report.json`` (everything) and ``report.html`` (table, end state, plots).

The same per-phase table is printed to the terminal (:func:`table`), so a
failing ``make test`` shows it without opening a file.
"""

from __future__ import annotations

import html
import json
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from chaos.svg import Band, Series, time_chart

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["table", "write_report"]

_COLUMNS = (
    "phase", "customer req", "failed", "failed attempts", "retries", "p50 ms", "p99 ms",
    "recover s", "reconnects", "peak 100ms", "crowd resumed (true/false/never)",
    "crowd max s", "crowd span s", "kitchen lag s", "CPU busy (peak 1 s)", "CPU s by process",
    "note",
)  # fmt: skip


def _fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "0"


def _row(f: dict[str, Any]) -> list[str]:
    crowd = f["crowd"]
    note = f["error"] or f["note"] or ""

    def num(value: Any, spec: str = ".0f") -> str:
        return "-" if value is None else format(value, spec)

    return [
        f["name"],
        str(f["customer_requests"]),
        str(f["customer_failed"]),
        _fmt_counts(f["failed_attempts_by_kind"]),
        str(f["order_retries"]),
        num(f["p50_ms"]),
        num(f["p99_ms"]),
        "not back" if f["recover_s"] is None else num(f["recover_s"], "g"),
        str(f["reconnects"]),
        f"{f['reconnect_peak_share_100ms']:.0%}" if f["reconnects"] else "-",
        f"{crowd['recovered_true']}/{crowd['recovered_false']}/{crowd['never_resumed']}"
        if crowd["closed"]
        else "-",
        num(crowd["max_resume_s"], "g"),
        num(crowd["all_resumed_s"], "g"),
        num(f["kitchen_max_lag_s"], "g"),
        _cpu_busy(f.get("cpu")),
        _cpu_top(f.get("cpu")),
        note,
    ]


def _cpu_busy(cpu: dict[str, Any] | None) -> str:
    if not cpu or cpu.get("busy_share") is None:
        return "-"
    return f"{cpu['busy_share']:.0%} ({cpu['busy_peak_1s']:.0%})"


def _cpu_top(cpu: dict[str, Any] | None) -> str:
    if not cpu:
        return "-"
    return " ".join(f"{group} {seconds:g}" for group, seconds in list(cpu["cpu_s"].items())[:4])


def table(result: dict[str, Any]) -> str:
    """The per-phase table and the verdict, as plain text."""
    rows = [list(_COLUMNS)] + [_row(f) for f in result["phases"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        for r in rows
    ]
    end = result["end_state"]
    lines.append("")
    lines.append(
        f"end state: {end['orders_accepted']} orders accepted, {end['orders_in_db']} in the DB,"
        f" lost {len(end['orders_lost'])}, doubled {len(end['orders_doubled_keys'])};"
        f" kitchens missed {[k['missed_count'] for k in end['kitchens']]};"
        f" uploads {end['uploads_ready']}/{end['uploads_accepted']} ready;"
        f" outbox rows {end['outbox_rows']}"
    )
    if result["violations"]:
        lines.append("INVARIANTS BROKEN:")
        lines += [f"  - {v}" for v in result["violations"]]
    else:
        lines.append("every invariant held")
    return "\n".join(lines)


def _plots(result: dict[str, Any]) -> str:
    timeline = result["timeline"]
    bands = [
        Band(p["start"], p["end"], p["name"], (p["fault"][0], p["fault"][1]))
        for p in timeline["phases"]
    ]
    latency = [(t, ms) for t, ms in timeline["latency"]]
    ms_sorted = sorted(ms for _, ms in latency)
    y_max = ms_sorted[int(len(ms_sorted) * 0.999)] * 1.1 if ms_sorted else 1.0
    failures = Counter(int(t * 2) / 2 for t, _, _ in timeline["failures"])
    failed = [(t, y_max * 0.98) for t in sorted(failures)]
    latency_svg = time_chart(
        "Customer latency (successful exchanges) and failed attempts",
        [
            Series("latency ms", latency),
            Series("a failed attempt (0.5 s)", failed, colour="#d62728"),
        ],
        bands,
        y_label="ms (clipped at p99.9)",
        y_max=y_max,
    )
    buckets = Counter(round(int(t * 10) / 10, 1) for t in timeline["reconnects"])
    reconnect_svg = time_chart(
        "WebSocket reconnect attempts per 100 ms",
        [Series("reconnects / 100 ms", sorted(buckets.items()), bar=0.1)],
        bands,
        y_label="reconnects",
    )
    return latency_svg + "<br>" + reconnect_svg


def _html(result: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in _COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in _row(f)) + "</tr>"
        for f in result["phases"]
    )
    verdict = (
        "<p style='color:#080'><b>Every invariant held.</b></p>"
        if not result["violations"]
        else "<p style='color:#b00'><b>Invariants broken:</b></p><ul>"
        + "".join(f"<li>{html.escape(v)}</li>" for v in result["violations"])
        + "</ul>"
    )
    end = html.escape(json.dumps(result["end_state"], indent=2))
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Stelly chaos run</title>"
        "<style>body{font-family:sans-serif;margin:1.5em}td,th{padding:3px 6px;font-size:12px;"
        "border:1px solid #bbb}table{border-collapse:collapse}</style>"
        f"<h1>Chaos run ({html.escape(result['profile'])})</h1>"
        f"<p>{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; seed {result['seed']};"
        f" replicas {html.escape(result['replicas'])}; load {html.escape(json.dumps(result['load']))};"
        f" setup {result.get('setup_s', 0)} s, total {result.get('seconds', 0)} s.</p>"
        f"{verdict}<table><tr>{head}</tr>{body}</table>"
        "<p>failed = customer requests that failed after the web app's own retries; failed attempts ="
        " every failed exchange (customer and staff) by kind; recover s = fault end to the end of the"
        " last abnormal second; peak 100ms = largest share of reconnects in one 100 ms window;"
        " crowd max s = longest close-to-resume of one idle socket; crowd span s = first close to"
        " last resume in the phase (both replicas, one after the other, in a rolling restart);"
        " kitchen lag s = longest time from an order's 201 to the last kitchen learning of it;"
        " CPU busy = share of all cores in use over the phase (its busiest second), from /proc/stat;"
        " CPU s by process = CPU seconds per kind of process (load = this run's own clients).</p>"
        f"<h2>End state</h2><pre>{end}</pre><h2>Timeline</h2>{_plots(result)}"
        + (
            f"<h2>Stack shutdown</h2><pre>{html.escape(result['stack_stop_error'])}</pre>"
            if result.get("stack_stop_error")
            else ""
        )
        + "</html>"
    )


def write_report(directory: Path, result: dict[str, Any]) -> Path:
    """Write ``report.json`` and ``report.html`` into ``directory``; the HTML's path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(json.dumps(result, indent=2))
    page = directory / "report.html"
    page.write_text(_html(result))
    return page
