"""The log format of every Stelly process: one handler on the root logger.

``text`` is for people (``make run``); ``json`` is one msgspec-encoded
object per line (Azure Container Apps), with the keys the request lines use
(:mod:`stelly_core.telemetry.requestlog`). Every line carries the service,
the trace and span id of the current span, and the request id and tenant of
the current request (:class:`RequestContextFilter`).

The Azure SDK is quiet below WARNING: its HTTP logging policy logs every
request and response at INFO, which is noise on a console and a cost in a
log workspace.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING

import msgspec
from opentelemetry import trace

from stelly_core.telemetry.context import REQUEST_CONTEXT
from stelly_core.telemetry.settings import LogFormat

if TYPE_CHECKING:
    from typing import TextIO

__all__ = [
    "QUIET_LOGGERS",
    "JsonFormatter",
    "RequestContextFilter",
    "TextFormatter",
    "configure_logging",
    "remove_logging",
]

#: Loggers held at WARNING whatever the root level is: the Azure SDK's HTTP
#: lines, and libvips's progress notes (pyvips logs a dozen INFO lines per
#: image the worker renders).
QUIET_LOGGERS = (
    "azure",
    "azure.core.pipeline.policies.http_logging_policy",
    "azure.identity",
    "azure.monitor.opentelemetry.exporter",
    "pyvips",
    "uvicorn.access",
)


class RequestContextFilter(logging.Filter):
    """Adds ``service``, ``trace_id``, ``span_id``, ``request_id`` and ``tenant`` to each record."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = f"{context.trace_id:032x}"
            record.span_id = f"{context.span_id:016x}"
        else:
            record.trace_id = record.span_id = None
        request = REQUEST_CONTEXT.get()
        record.request_id = request.request_id if request is not None else None
        record.tenant = request.tenant if request is not None else None
        return True


class _JsonLine(msgspec.Struct, omit_defaults=True):
    timestamp: str
    level: str
    service: str
    logger: str
    message: str
    trace_id: str | None = None
    span_id: str | None = None
    request_id: str | None = None
    tenant: str | None = None
    exception: str | None = None


def _iso(created: float) -> str:
    second = int(created)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return f"{text}.{int((created - second) * 1000):03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def __init__(self) -> None:
        super().__init__()
        self._encode = msgspec.json.Encoder().encode

    def format(self, record: logging.LogRecord) -> str:
        exception = None
        if record.exc_info:
            exception = self.formatException(record.exc_info)
        elif record.exc_text:
            exception = record.exc_text
        line = _JsonLine(
            timestamp=_iso(record.created),
            level=record.levelname,
            service=getattr(record, "service", ""),
            logger=record.name,
            message=record.getMessage(),
            trace_id=getattr(record, "trace_id", None),
            span_id=getattr(record, "span_id", None),
            request_id=getattr(record, "request_id", None),
            tenant=getattr(record, "tenant", None),
            exception=exception,
        )
        return self._encode(line).decode()


class TextFormatter(logging.Formatter):
    """``time level logger message``, then the request and trace when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None)
        trace_id = getattr(record, "trace_id", None)
        if request_id is None and trace_id is None:
            return text
        extra = f" [request_id={request_id or '-'} tenant={getattr(record, 'tenant', None) or '-'}"
        if trace_id is not None:
            extra += f" trace_id={trace_id}"
        head, newline, rest = text.partition("\n")
        return head + extra + "]" + newline + rest


class _StellyHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler :func:`configure_logging` owns, so a second call replaces it."""


def configure_logging(
    service: str,
    log_format: LogFormat,
    *,
    level: int = logging.INFO,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Give the root logger one handler with the process's format.

    Args:
        service: the service name every line carries.
        log_format: text or JSON.
        level: the root level.
        stream: where lines go (standard error when omitted).

    Returns:
        The installed handler.
    """
    remove_logging()
    root = logging.getLogger()
    handler = _StellyHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format is LogFormat.JSON else TextFormatter())
    handler.addFilter(RequestContextFilter(service))
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def remove_logging() -> None:
    """Take the handler :func:`configure_logging` installed off the root logger."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _StellyHandler):
            root.removeHandler(handler)
