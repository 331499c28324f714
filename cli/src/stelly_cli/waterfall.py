"""A trace as text: the spans of every process as one tree with a time bar each.

Invariants:
- Every span is printed exactly once. A span whose parent is not among the
  spans (still buffered in its process, dropped, or sampled out) is printed
  as a root, marked ``^``, never left out.
- Children are printed under their parent, indented, in start order; offsets
  are from the earliest start in the trace, bars are scaled to the trace's
  whole duration.
- The process column names who did the work: a client span to a database
  or cache names that peer (``postgresql 127.0.0.1:5432``), any other
  span its service, with ``[pid]`` added when the trace has spans from
  several processes of that service.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from stelly_core.telemetry.spanfile import SpanRecord

__all__ = ["BAR_WIDTH", "peer_label", "process_labels", "render_waterfall", "span_tree"]

BAR_WIDTH = 32
_NAME_WIDTH_MAX = 64
_SYSTEM_KEYS = ("db.system.name", "db.system", "messaging.system")
_ADDRESS_KEYS = ("server.address", "net.peer.name")
_PORT_KEYS = ("server.port", "net.peer.port")


def _first(span: SpanRecord, keys: Sequence[str]) -> str | None:
    for key in keys:
        value = span.attributes.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def peer_label(span: SpanRecord) -> str | None:
    """``"{system} {address}:{port}"`` for a client span to a database or broker, else ``None``.

    A Unix socket is shown by its file name (``postgresql unix:.s.PGSQL.5432``).
    Producer and consumer spans (the outbox's publish, a job's processing) are
    work of the process itself, not of a peer.
    """
    if span.kind != "client":
        return None
    system = _first(span, _SYSTEM_KEYS)
    if system is None:
        return None
    address = _first(span, _ADDRESS_KEYS)
    port = _first(span, _PORT_KEYS)
    if address is None:
        return system
    if address.startswith("/"):
        return f"{system} unix:{address.rsplit('/', 1)[-1]}"
    return f"{system} {address}:{port}" if port else f"{system} {address}"


def process_labels(spans: Sequence[SpanRecord]) -> dict[tuple[str, int], str]:
    """The label of each ``(service, pid)``: the service, plus ``[pid]`` if it has several."""
    pids: dict[str, set[int]] = defaultdict(set)
    for span in spans:
        pids[span.service].add(span.pid)
    return {
        (service, pid): service if len(found) == 1 else f"{service}[{pid}]"
        for service, found in pids.items()
        for pid in found
    }


def span_tree(spans: Sequence[SpanRecord]) -> Iterator[tuple[SpanRecord, int, bool]]:
    """Depth-first ``(span, depth, orphan)``: roots and orphans at depth 0, in start order."""
    ordered = sorted(spans, key=lambda span: (span.start, span.end))
    ids = {span.span_id for span in ordered}
    children: dict[str, list[SpanRecord]] = defaultdict(list)
    roots: list[SpanRecord] = []
    for span in ordered:
        if span.parent_span_id is not None and span.parent_span_id in ids:
            children[span.parent_span_id].append(span)
        else:
            roots.append(span)
    visited: set[int] = set()

    def walk(span: SpanRecord, depth: int) -> Iterator[tuple[SpanRecord, int, bool]]:
        if id(span) in visited:
            return
        visited.add(id(span))
        yield span, depth, depth == 0 and span.parent_span_id is not None
        for child in children.get(span.span_id, ()):
            yield from walk(child, depth + 1)

    for root in roots:
        yield from walk(root, 0)
    for span in ordered:  # a parent cycle (a corrupt file) leaves spans unreached: show them
        if id(span) not in visited:
            yield from walk(span, 0)


def _bar(start: int, duration: int, origin: int, total: int) -> str:
    if total <= 0:
        return "█" * BAR_WIDTH
    first = min(BAR_WIDTH - 1, int((start - origin) * BAR_WIDTH / total))
    length = max(1, round(duration * BAR_WIDTH / total))
    length = min(length, BAR_WIDTH - first)
    return " " * first + "█" * length + " " * (BAR_WIDTH - first - length)


def render_waterfall(trace_id: str, spans: Sequence[SpanRecord]) -> list[str]:
    """The lines that show ``spans`` (one trace) as a waterfall."""
    if not spans:
        return [f"trace {trace_id}: no spans"]
    origin = min(span.start for span in spans)
    total = max(span.end for span in spans) - origin
    labels = process_labels(spans)
    rows: list[tuple[str, str, str, str, str]] = []
    processes: set[str] = set()
    for span, depth, orphan in span_tree(spans):
        process = peer_label(span) or labels[(span.service, span.pid)]
        processes.add(process)
        marker = "^ " if orphan else ""
        flag = "  !" + (f" {span.status_message}" if span.status_message else "")
        name = "  " * depth + marker + span.name + (flag if span.status == "error" else "")
        rows.append(
            (
                f"{(span.start - origin) / 1e6:.1f}",
                f"{span.duration_ns / 1e6:.1f}",
                process,
                name[:_NAME_WIDTH_MAX],
                _bar(span.start, span.duration_ns, origin, total),
            )
        )
    process_width = max(len("PROCESS"), *(len(row[2]) for row in rows))
    name_width = max(len("SPAN"), *(len(row[3]) for row in rows))
    lines = [
        f"trace {trace_id}  {len(spans)} spans, {len(processes)} processes, {total / 1e6:.1f} ms",
        f"{'OFFSET ms':>10} {'DUR ms':>9}  {'PROCESS':<{process_width}}  "
        f"{'SPAN':<{name_width}}  |{'':<{BAR_WIDTH}}|",
    ]
    for offset, duration, process, name, bar in rows:
        lines.append(
            f"{offset:>10} {duration:>9}  {process:<{process_width}}  {name:<{name_width}}  |{bar}|"
        )
    if any(orphan for _, _, orphan in span_tree(spans)):
        lines.append("^ its parent span is not on disk (still buffered, dropped or sampled out)")
    return lines
