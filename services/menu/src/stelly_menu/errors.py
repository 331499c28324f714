"""Menu-service error helpers on top of the shared problem details."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import asyncpg
from litestar.exceptions import ValidationException
from stelly_core.errors import PROBLEM_JSON, ProblemError, exception_handlers, problem_body

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


#: The database is unreachable, restarting, out of connections, or a
#: transaction lost a serialization/deadlock race: the client may retry.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.OperatorInterventionError,  # admin shutdown, crash, statement timeout
    asyncpg.TooManyConnectionsError,
    asyncpg.TransactionRollbackError,
)


def _unavailable(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    from litestar import Response

    _log.warning("database unavailable: %s", exc)
    return Response(
        problem_body(503, "unavailable", "try again shortly"),
        status_code=503,
        media_type=PROBLEM_JSON,
        headers={"Retry-After": "1"},
    )


def database_exception_handlers() -> ExceptionHandlersMap:
    """Handlers naming the field of every validation error, turning
    PostgreSQL's refusals of input values into 400 and its unavailability
    into 503."""
    handlers: ExceptionHandlersMap = {
        ValidationException: _validation_error,
        asyncpg.DataError: _data_error,
    }
    for error in UNAVAILABLE_ERRORS:
        handlers[error] = _unavailable
    handlers[asyncpg.InterfaceError] = _interface_error
    return handlers


def _caused_by_unavailability(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, UNAVAILABLE_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _interface_error(request: Request[Any, Any, Any], exc: asyncpg.InterfaceError) -> Response[Any]:
    # A connection lost mid-transaction surfaces as "cannot call
    # Transaction.__aexit__()"; any other InterfaceError is our bug: a 500.
    if _caused_by_unavailability(exc):
        return _unavailable(request, exc)
    unexpected = exception_handlers()[Exception]
    return unexpected(request, exc)
