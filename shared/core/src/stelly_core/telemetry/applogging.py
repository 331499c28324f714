"""Litestar's logging, handed to the root logger :func:`configure_logging` set up.

Litestar's default ``LoggingConfig`` replaces the root logger's handlers
when an app is built, which would undo the process's log format. This
config configures nothing: the app's loggers propagate to the root handler.
It logs an uncaught exception (a 500) with its traceback, and nothing for
an error the app answers on purpose: an HTTP 4xx (the client's; the request
line records it), a :class:`~stelly_core.errors.ProblemError`, or a
dependency outage answered 503 ``unavailable`` (which logs its own one-line
warning), so that a real 500 stands out in the log. The traceback goes to our own logger
``stelly.http``, never to Litestar's ``litestar`` logger: any other Litestar
app built in the same process with the default config (a test's) sets that
one to not propagate, and the line would miss the process's handler.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from litestar.logging.config import BaseLoggingConfig

from stelly_core.errors import ProblemError, is_unavailable

if TYPE_CHECKING:
    from litestar.types import GetLogger, Scope

__all__ = ["RootLoggingConfig"]


_log = logging.getLogger("stelly.http")


def _log_uncaught(_: Any, scope: Scope, tb: list[str]) -> None:
    exc = sys.exc_info()[1]
    if exc is None or _answered_on_purpose(exc):
        return
    route = scope.get("path_template") or scope["path"]
    _log.error(
        "uncaught exception in %s %s", scope.get("method", "WEBSOCKET"), route, exc_info=True
    )


def _answered_on_purpose(exc: BaseException) -> bool:
    """A 4xx the app raised, or a problem it answers itself (a 503 ``unavailable``).

    Those get no traceback: the request line records the status, and
    :mod:`stelly_core.errors` logs one warning line for a dependency outage.
    """
    if isinstance(exc, ProblemError) or is_unavailable(exc):
        return True
    status = getattr(exc, "status_code", 500)
    return isinstance(status, int) and status < 500


class RootLoggingConfig(BaseLoggingConfig):
    """Leaves the root logger as it is; logs uncaught exceptions."""

    def __init__(self) -> None:
        self.log_exceptions = "always"
        self.traceback_line_limit = -1
        self.exception_logging_handler = _log_uncaught
        self.disable_stack_trace = set()

    def configure(self) -> GetLogger:
        return logging.getLogger

    @staticmethod
    def set_level(logger: Any, level: int) -> None:
        logger.setLevel(level)
