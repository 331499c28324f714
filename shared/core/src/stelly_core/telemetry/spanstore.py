"""Reading the local span files that :class:`~stelly_core.telemetry.spanfile.SpanFileExporter` writes.

Invariants:
- Reading never fails on what writers may leave behind: a partially written
  last line, a line from another format, a file rotated or deleted while it
  is being listed are skipped, not raised.
- Searches go newest first (files by modification time, lines from the end),
  so the trace of a request made a moment ago is found without reading a
  day's worth of spans first.
- Lines are filtered on their bytes before they are decoded: only lines that
  contain the id sought are parsed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import msgspec

from stelly_core.telemetry.spanfile import SpanRecord

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = [
    "REQUEST_ID_ATTRIBUTE",
    "find_trace_id",
    "is_trace_id",
    "load_trace",
    "read_spans",
    "resolve_trace",
    "span_files",
]

#: The span attribute that carries the ``X-Request-Id`` of the request.
REQUEST_ID_ATTRIBUTE = "stelly.request_id"
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_decoder = msgspec.json.Decoder(SpanRecord)


def is_trace_id(text: str) -> bool:
    """Whether ``text`` looks like a W3C trace id (32 lowercase hex digits, not all zero)."""
    return bool(_TRACE_ID.fullmatch(text)) and text != "0" * 32


def span_files(directory: Path) -> list[Path]:
    """The span files of ``directory``, the most recently written first (none if it is missing)."""
    found: list[tuple[float, Path]] = []
    try:
        entries = list(directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    for entry in entries:
        if not entry.name.endswith((".jsonl", ".jsonl.1")):
            continue
        try:
            found.append((entry.stat().st_mtime, entry))
        except FileNotFoundError:
            continue
    return [path for _, path in sorted(found, key=lambda item: item[0], reverse=True)]


def _lines(path: Path, needle: bytes | None) -> Iterator[bytes]:
    """The lines of ``path`` containing ``needle``, last line first."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return
    for line in reversed(data.split(b"\n")):
        if line and (needle is None or needle in line):
            yield line


def _decode(line: bytes) -> SpanRecord | None:
    try:
        return _decoder.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None  # a line still being written, or not a span


def read_spans(directory: Path, *, containing: str | None = None) -> Iterator[SpanRecord]:
    """Every readable span of ``directory``, newest files and lines first.

    Args:
        directory: the span directory (``STELLY_TRACE_DIR``).
        containing: only lines whose text contains this string are decoded.
    """
    needle = None if containing is None else containing.encode()
    for path in span_files(directory):
        for line in _lines(path, needle):
            record = _decode(line)
            if record is not None:
                yield record


def load_trace(directory: Path, trace_id: str) -> list[SpanRecord]:
    """The spans of one trace, across every process's file, ordered by start time.

    A span exported twice (it cannot be, but a copied file could) is listed once.
    """
    trace_id = trace_id.lower()
    seen: set[tuple[str, int]] = set()
    spans: list[SpanRecord] = []
    for record in read_spans(directory, containing=trace_id):
        key = (record.span_id, record.pid)
        if record.trace_id == trace_id and key not in seen:
            seen.add(key)
            spans.append(record)
    spans.sort(key=lambda span: (span.start, span.end))
    return spans


def find_trace_id(directory: Path, request_id: str) -> str | None:
    """The trace id of the newest span carrying ``stelly.request_id == request_id``."""
    for record in read_spans(directory, containing=request_id):
        if record.attributes.get(REQUEST_ID_ATTRIBUTE) == request_id:
            return record.trace_id
    return None


def resolve_trace(directory: Path, ident: str) -> tuple[str, list[SpanRecord]] | None:
    """The trace named by ``ident``: a trace id, or else an ``X-Request-Id``.

    A 32-hex ``ident`` is tried as a trace id first and then as a request id
    (the gateway's request ids are 32 hex digits too).

    Returns:
        ``(trace_id, spans)``, or ``None`` when nothing on disk matches.
    """
    ident = ident.strip()
    if is_trace_id(ident.lower()):
        spans = load_trace(directory, ident.lower())
        if spans:
            return ident.lower(), spans
    trace_id = find_trace_id(directory, ident)
    if trace_id is None:
        return None
    return trace_id, load_trace(directory, trace_id)
