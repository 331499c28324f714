"""A span exporter that writes JSON lines to local files: traces with no backend.

``stelly dev`` sets ``STELLY_TRACE_DIR``; every process then appends its ended
spans to ``{directory}/{service}-{pid}.jsonl`` and ``stelly trace`` reads them
back (:mod:`stelly_core.telemetry.spanstore`).

Invariants:
- One file per process (the pid is taken at each export, so a forked child
  writes its own file): writers never share a file, so no locking across
  processes is needed.
- One span is one line, one JSON object (:class:`SpanRecord`); a batch is
  written with a single ``write`` on a file opened in append mode, so a reader
  sees whole lines except, at worst, a partially written last one, which it
  skips.
- Bounded on disk: a file past ``max_bytes`` is renamed to ``.jsonl.1``
  (replacing the previous one) and a new file is started; and the directory
  as a whole is kept under ``max_total_bytes`` by deleting the files that
  were written longest ago (other processes' finished files first in practice).
- Exporting never raises into the application: an I/O error fails the batch
  (``SpanExportResult.FAILURE``) and is logged once per outage.
- :class:`SpanFileProcessor` (what ``configure_telemetry`` installs) exports
  from its own thread at most ``interval`` seconds after a span ends, and
  everything pending at ``force_flush`` and ``shutdown``; a request thread
  only appends the ended span to a deque.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import deque
from typing import TYPE_CHECKING, cast

import msgspec
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.util.types import Attributes

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "SpanEventRecord",
    "SpanFileExporter",
    "SpanFileProcessor",
    "SpanRecord",
    "span_record",
]

_log = logging.getLogger("stelly.telemetry")

#: A process's file is rotated (to ``.1``, one kept) past this size.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: All span files of a directory together stay under this size.
MAX_TOTAL_BYTES = 256 * 1024 * 1024

AttributeValue = str | bool | int | float | list[str | bool | int | float]


class SpanEventRecord(msgspec.Struct, frozen=True, omit_defaults=True):
    """An event of a span (an exception, a log point)."""

    name: str
    time: int
    attributes: dict[str, AttributeValue] = {}


class SpanRecord(msgspec.Struct, frozen=True, omit_defaults=True):
    """One ended span as stored on disk: one line of a ``.jsonl`` span file."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    service: str
    pid: int
    start: int
    end: int
    status: str = "unset"
    status_message: str | None = None
    attributes: dict[str, AttributeValue] = {}
    events: list[SpanEventRecord] = []

    @property
    def duration_ns(self) -> int:
        return max(0, self.end - self.start)


_SCALARS = frozenset((str, bool, int, float))
_KINDS = {kind: kind.name.lower() for kind in SpanKind}
_STATUSES = {code: code.name.lower() for code in StatusCode}


def _plain(attributes: Attributes) -> dict[str, AttributeValue]:
    if not attributes:
        return {}
    # the SDK's bounded mapping iterates in Python: read the dict under it
    attributes = getattr(attributes, "_dict", attributes)
    out: dict[str, AttributeValue] = {}
    for key, value in attributes.items():
        if type(value) in _SCALARS:  # the common case, without the union's isinstance
            out[key] = cast("AttributeValue", value)
        elif isinstance(value, str | bool | int | float):
            out[key] = value
        elif isinstance(value, list | tuple):
            out[key] = [v if isinstance(v, str | bool | int | float) else str(v) for v in value]
        else:
            out[key] = str(value)
    return out


def span_record(span: ReadableSpan, service_name: str, pid: int) -> SpanRecord:
    """The stored form of an ended span.

    Args:
        span: the span, as the SDK hands it to exporters.
        service_name: used when the span's resource has no ``service.name``.
        pid: the process that recorded it.
    """
    context = span.get_span_context()
    assert context is not None  # an SDK span always has one
    parent = span.parent
    resource_name = span.resource.attributes.get("service.name") if span.resource else None
    status = span.status
    start = span.start_time or 0
    # the SDK's private fields where its properties copy (attributes, events)
    attributes = getattr(span, "_attributes", None)
    events = getattr(span, "_events", None)
    if events is None:
        events = span.events
    return SpanRecord(
        f"{context.trace_id:032x}",
        f"{context.span_id:016x}",
        None if parent is None else f"{parent.span_id:016x}",
        span.name,
        _KINDS[span.kind],
        str(resource_name) if resource_name else service_name,
        pid,
        start,
        span.end_time or start,
        _STATUSES[status.status_code],
        status.description or None,
        _plain(attributes if attributes is not None else span.attributes),
        [SpanEventRecord(event.name, event.timestamp, _plain(event.attributes)) for event in events]
        if events
        else [],
    )


class SpanFileExporter(SpanExporter):
    """Appends ended spans, one JSON object per line, to this process's span file.

    Args:
        directory: where span files live (created if missing).
        service_name: the file name's prefix and the spans' service when their
            resource names none.
        max_bytes: rotate this process's file past this size.
        max_total_bytes: keep the whole directory under this size.
    """

    def __init__(
        self,
        directory: Path,
        service_name: str,
        *,
        max_bytes: int = MAX_FILE_BYTES,
        max_total_bytes: int = MAX_TOTAL_BYTES,
    ) -> None:
        self.directory = directory
        self.service_name = service_name
        self.max_bytes = max_bytes
        self.max_total_bytes = max_total_bytes
        self._encoder = msgspec.json.Encoder()
        self._lock = threading.Lock()
        self._failing = False
        self._shut_down = False
        self._pruned_for_pid: int | None = None

    def path_for(self, pid: int) -> Path:
        """The file this exporter writes in process ``pid``."""
        return self.directory / f"{self.service_name}-{pid}.jsonl"

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._shut_down:
            return SpanExportResult.FAILURE
        if not spans:
            return SpanExportResult.SUCCESS
        pid = os.getpid()
        service_name = self.service_name
        data = self._encoder.encode_lines([span_record(span, service_name, pid) for span in spans])
        with self._lock:
            try:
                self._write(pid, data)
            except OSError as exc:
                if not self._failing:
                    _log.warning("span file %s: cannot write (%s)", self.path_for(pid), exc)
                self._failing = True
                return SpanExportResult.FAILURE
            if self._failing:
                _log.info("span file %s: writing again", self.path_for(pid))
            self._failing = False
        return SpanExportResult.SUCCESS

    def _write(self, pid: int, data: bytes) -> None:
        path = self.path_for(pid)
        if self._pruned_for_pid != pid:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._prune(keep=path)
            self._pruned_for_pid = pid
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size and size + len(data) > self.max_bytes:
            os.replace(path, path.with_name(path.name + ".1"))
            self._prune(keep=path)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:  # one write in practice; a short write is continued, not lost
                written = os.write(fd, view)
                view = view[written:]
        finally:
            os.close(fd)

    def _prune(self, keep: Path) -> None:
        """Delete the least recently written span files while the directory is over budget."""
        files: list[tuple[float, int, Path]] = []
        for entry in self.directory.glob("*.jsonl*"):
            if entry == keep:
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            files.append((stat.st_mtime, stat.st_size, entry))
        total = sum(size for _, size, _ in files) + self.max_bytes
        for _, size, entry in sorted(files, key=lambda item: item[0]):
            if total <= self.max_total_bytes:
                break
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
            total -= size

    def shutdown(self) -> None:
        self._shut_down = True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export is written before it returns


class SpanFileProcessor(SpanProcessor):
    """Hands ended spans to a :class:`SpanFileExporter` from a thread of its own, in batches.

    What the SDK's ``BatchSpanProcessor`` does for any exporter, for this local
    one at a fraction of the cost on the request's path: ``on_end`` only
    appends the span to a deque (no lock, no ``getpid``, no queue bookkeeping);
    a daemon thread takes what is there every ``interval`` seconds, or as soon
    as ``max_batch`` spans wait, and exports it in batches of at most
    ``max_batch`` (appending to and taking from a deque need no lock between
    the two threads, and no span is lost between them). ``force_flush`` and
    ``shutdown`` export what is pending before they return; after
    ``shutdown`` spans are dropped. A child process after ``fork`` starts with
    an empty deque and a thread of its own. Past ``max_pending`` unexported
    spans (a stalled disk), new ones are dropped.
    """

    def __init__(
        self,
        exporter: SpanFileExporter,
        *,
        interval: float = 1.0,
        max_batch: int = 512,
        max_pending: int = 8192,
    ) -> None:
        self.exporter = exporter
        self.interval = interval
        self.max_batch = max(1, max_batch)
        self.max_pending = max_pending
        #: ``on_end`` looks further only when this many spans wait (0 after shutdown)
        self._wake_at = self.max_batch
        self._pending: deque[ReadableSpan] = deque()
        self._export_lock = threading.Lock()
        self._shut_down = False
        self._start_thread()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    def _start_thread(self) -> None:
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stelly-span-file", daemon=True)
        self._thread.start()

    def _after_fork(self) -> None:
        self._pending = deque()
        self._export_lock = threading.Lock()
        if not self._shut_down:
            self._start_thread()

    def on_end(self, span: ReadableSpan) -> None:
        pending = self._pending
        waiting = len(pending)
        if waiting >= self._wake_at:
            if self._shut_down or waiting >= self.max_pending:
                return
            self._wake.set()
        pending.append(span)

    def _run(self) -> None:
        wake = self._wake
        while not self._shut_down:
            wake.wait(self.interval)
            wake.clear()
            try:
                self._export_pending()
            except Exception:  # the thread must outlive a bad batch
                _log.exception("span file: export failed")

    def _export_pending(self) -> None:
        with self._export_lock:
            pending = self._pending
            take = pending.popleft
            while pending:
                self.exporter.export([take() for _ in range(min(len(pending), self.max_batch))])

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self._export_pending()
        return True

    def shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        self._wake_at = 0
        self._wake.set()
        self._thread.join(5.0)
        self._export_pending()
        self.exporter.shutdown()
