"""Menu-service error helpers on top of the shared problem details."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import asyncpg
from litestar.exceptions import ValidationException
from stelly_core.errors import (
    PROBLEM_JSON,
    ProblemError,
    exception_handlers,
    problem_body,
    unavailable_response,
)

if TYPE_CHECKING:
    from litestar import Request, Response
    from litestar.types import ExceptionHandlersMap

__all__ = ["UNAVAILABLE_ERRORS", "database_exception_handlers", "field_problem"]

_log = logging.getLogger("stelly.menu")


def field_problem(
    field: str, message: str, *, status: int = 400, code: str = "validation_error"
) -> ProblemError:
    """A problem naming the one field that is wrong, shaped like the shared validation errors."""
    return ProblemError(
        status,
        code,
        f"{field}: {message}",
        extra={"errors": [{"field": field, "message": message}]},
    )


def _data_error(_: Request[Any, Any, Any], exc: asyncpg.DataError) -> Response[bytes]:
    # A value PostgreSQL refuses (out of range, bad encoding) that the schemas
    # did not catch is still the client's input, not a server fault.
    from litestar import Response

    _log.info("database refused a value: %s", exc)
    return Response(
        problem_body(400, "invalid_value", "a value is out of range or malformed"),
        status_code=400,
        media_type=PROBLEM_JSON,
    )


_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]{1,100})`")
_ROOT_KEYS = frozenset({"data", "body", ""})


def _name_missing_fields(extra: Any) -> Any:
    """Point "missing/unknown field `x`" errors at ``x`` rather than at its parent object."""
    if not isinstance(extra, list):
        return extra
    named = []
    for item in extra:
        if isinstance(item, dict):
            match = _NAMED_FIELD.match(str(item.get("message", "")))
            if match:
                parent = str(item.get("key") or "")
                field = match.group(1) if parent in _ROOT_KEYS else f"{parent}.{match.group(1)}"
                item = {**item, "key": field}
        named.append(item)
    return named


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    exc.extra = _name_missing_fields(exc.extra)
    shared = exception_handlers()[ValidationException]
    return shared(request, exc)


#: Retryable races of the database itself (serialization failure, deadlock):
#: 503 like an outage. The outages themselves (server down, restarting,
#: connection lost, out of connections, Redis down) are recognised by the
#: shared handlers (:func:`stelly_core.errors.is_unavailable`).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (asyncpg.TransactionRollbackError,)


def _unavailable(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    _log.warning("database unavailable: %s: %s", type(exc).__name__, exc)
    return unavailable_response()


def database_exception_handlers() -> ExceptionHandlersMap:
    """Handlers naming the field of every validation error, turning
    PostgreSQL's refusals of input values into 400 and its retryable races
    into 503 (the shared handlers answer 503 for outages)."""
    handlers: ExceptionHandlersMap = {
        ValidationException: _validation_error,
        asyncpg.DataError: _data_error,
    }
    for error in UNAVAILABLE_ERRORS:
        handlers[error] = _unavailable
    return handlers
