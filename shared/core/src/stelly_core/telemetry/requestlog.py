"""The one line per request: recorded in a few hundred nanoseconds, formatted in batches.

The line is the request's whole record (timestamp, level, service, trace
and span id, request id, tenant, method, route template, status, duration);
the ids come in as hex text (the middleware has the request id's text when
it is also the trace id). The timestamp is the request's end, taken from
the ``perf_counter`` readings the middleware has anyway and turned into
wall-clock time when the batch is formatted (the two clocks' offset is
read then; they drift apart by far less than a millisecond in a batch's
quarter second).
A request only appends a tuple of those values to a list; the lines are
formatted and written together, when the list holds ``max_lines`` entries
or ``flush_interval`` seconds after its first one, whichever comes first.
Formatting a batch in one loop costs a fraction of formatting each line
between two requests (the code stays hot), and a busy process makes one
``write`` per batch instead of one per request. :meth:`RequestLog.flush`
writes what is pending (at shutdown, before a scrape of the lines in tests).
JSON lines are encoded by msgspec in one call per batch and use the same
keys as every other JSON log line (:mod:`stelly_core.telemetry.logformat`).
"""

from __future__ import annotations

import asyncio
import sys
from time import gmtime, perf_counter, strftime, time
from typing import TYPE_CHECKING

import msgspec

from stelly_core.telemetry.settings import LogFormat

if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["RequestLine", "RequestLog"]


class RequestLine(msgspec.Struct, omit_defaults=False):
    """One request, as a JSON log line."""

    timestamp: str
    level: str
    service: str
    logger: str
    message: str
    trace_id: str | None
    span_id: str | None
    request_id: str
    tenant: str | None
    method: str
    route: str | None
    status: int
    duration_ms: float


_LOGGER = "stelly.request"
#: a timestamp's tail by milliseconds
_MILLIS = tuple(f".{millis:03d}Z" for millis in range(1000))

#: (perf_counter at the start, method, route, status, duration s, request id, tenant,
#: trace id, span id)
_Entry = tuple[float, str, str | None, int, float, str, str | None, str | None, str | None]


class RequestLog:
    """Collects the request lines of one process and writes them in batches."""

    def __init__(
        self,
        service: str,
        log_format: LogFormat,
        *,
        stream: TextIO | None = None,
        flush_interval: float = 0.25,
        max_lines: int = 256,
    ) -> None:
        self.service = service
        self.log_format = log_format
        #: where lines go; ``None`` means the current ``sys.stderr``
        self.stream = stream
        self.flush_interval = flush_interval
        self.max_lines = max_lines
        self._pending: list[_Entry] = []
        self._timer: asyncio.TimerHandle | None = None
        self._second = -1
        self._second_text = ""
        self._encode_lines = msgspec.json.Encoder().encode_lines

    def write(
        self,
        started: float,
        method: str,
        route: str | None,
        status: int,
        duration: float,
        request_id: str,
        tenant: str | None,
        trace_id: str | None,
        span_id: str | None,
    ) -> None:
        """Record one request (``started``: its ``perf_counter`` reading; ids: hex or ``None``)."""
        pending = self._pending
        pending.append(
            (started, method, route, status, duration, request_id, tenant, trace_id, span_id)
        )
        if len(pending) >= self.max_lines:
            self.flush()
        elif self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._timer = loop.call_later(self.flush_interval, self.flush)

    def flush(self) -> None:
        """Format and write every pending line now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        entries, self._pending = self._pending, []
        if self.log_format is LogFormat.JSON:
            text = self._encode_lines(self._json(entries)).decode()
        else:
            text = self._text(entries)
        stream = self.stream or sys.stderr
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed stream at exit: nothing else can be done with the lines

    def _timestamps(self, entries: list[_Entry]) -> list[str]:
        """Each entry's end as a UTC timestamp with milliseconds (the date part made once a second)."""
        out: list[str] = []
        append = out.append
        second = self._second
        second_text = self._second_text
        # wall clock minus perf_counter, in milliseconds, read once per batch
        offset = (time() - perf_counter()) * 1000.0
        for entry in entries:
            whole, millis = divmod(int((entry[0] + entry[4]) * 1000.0 + offset), 1000)
            if whole != second:
                second = whole
                second_text = strftime("%Y-%m-%dT%H:%M:%S", gmtime(whole))
            append(second_text + _MILLIS[millis])
        self._second = second
        self._second_text = second_text
        return out

    def _json(self, entries: list[_Entry]) -> list[RequestLine]:
        service = self.service
        return [
            RequestLine(
                stamp,
                "INFO",
                service,
                _LOGGER,
                "request",
                trace_id,
                span_id,
                request_id,
                tenant,
                method,
                route,
                status,
                round(duration * 1000.0, 3),
            )
            for stamp, (
                _,
                method,
                route,
                status,
                duration,
                request_id,
                tenant,
                trace_id,
                span_id,
            ) in zip(self._timestamps(entries), entries, strict=True)
        ]

    def _text(self, entries: list[_Entry]) -> str:
        head = f" INFO {self.service} "
        return "".join(
            [
                f"{stamp}{head}{method} {route or '-'} {status} {duration * 1000.0:.2f}ms"
                f" request_id={request_id} tenant={tenant or '-'}"
                f" trace_id={trace_id or '-'} span_id={span_id or '-'}\n"
                for stamp, (
                    _,
                    method,
                    route,
                    status,
                    duration,
                    request_id,
                    tenant,
                    trace_id,
                    span_id,
                ) in zip(self._timestamps(entries), entries, strict=True)
            ]
        )
