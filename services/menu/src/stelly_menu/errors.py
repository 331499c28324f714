"""Menu-service error helpers on top of the shared problem details."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import asyncpg
from stelly_core.errors import PROBLEM_JSON, ProblemError, problem_body

if TYPE_CHECKING:
    from litestar import Request, Response
    from litestar.types import ExceptionHandlersMap

__all__ = ["database_exception_handlers", "field_problem"]

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


def database_exception_handlers() -> ExceptionHandlersMap:
    """Handlers turning PostgreSQL's refusals of input values into 400."""
    return {asyncpg.DataError: _data_error}
