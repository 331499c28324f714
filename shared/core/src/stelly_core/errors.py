"""RFC 9457 problem details with a stable ``code`` member.

Errors are values: code raises :class:`ProblemError` with a stable snake_case
code, and the handlers here turn it (and Litestar's own exceptions) into
``application/problem+json``. Nothing a client sends becomes a 500.

A dependency that is down, restarting, paused or out of connections is never
a 500 either: any error that :func:`is_unavailable` recognises (PostgreSQL or
Redis unreachable, a connection lost mid-request, a server shutting down, a
bounded wait that ran out), directly or as the cause of another, answers 503
``unavailable`` with ``Retry-After`` so that clients and the gateway retry.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec
import redis.exceptions
from litestar import Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

if TYPE_CHECKING:
    from collections.abc import Mapping

    from litestar.connection import Request
    from litestar.types import ExceptionHandlersMap

__all__ = [
    "PROBLEM_JSON",
    "RETRY_AFTER_SECONDS",
    "FieldError",
    "ProblemError",
    "exception_handlers",
    "is_unavailable",
    "problem_body",
    "unavailable_response",
]

PROBLEM_JSON = "application/problem+json"
#: what a 503 tells clients to wait before retrying (dependencies restart in seconds)
RETRY_AFTER_SECONDS = 1
_log = logging.getLogger("stelly.errors")

#: errors that mean a dependency is down, restarting, paused or saturated, whatever the message
_UNAVAILABLE_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    TimeoutError,  # a bounded wait ran out (pool acquire, connect, asyncio.timeout)
    asyncpg.PostgresConnectionError,  # 08*: connection does not exist, failure, rejected
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300
    redis.exceptions.ConnectionError,  # includes BusyLoadingError (loading the AOF)
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,  # a replica during failover
)
#: asyncpg reports a connection lost under its feet as an InterfaceError with these words
_LOST_CONNECTION_WORDS = ("closed", "released back to the pool", "pool is closing")

_DEFAULT_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}


class FieldError(msgspec.Struct, frozen=True):
    """One invalid field of a request: where it is and what is wrong."""

    field: str
    message: str


class ProblemError(Exception):
    """An error answered to the client as problem details.

    Args:
        status: the HTTP status code.
        code: a stable snake_case code clients can rely on.
        detail: a human-readable explanation of this occurrence.
        headers: extra response headers (``Retry-After``, ``WWW-Authenticate``).
        extra: extra members of the problem object.
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or code)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def problem_body(
    status: int, code: str, detail: str | None = None, extra: Mapping[str, Any] | None = None
) -> bytes:
    """Encode a problem details object.

    Args:
        status: the HTTP status code.
        code: the stable error code.
        detail: a human-readable explanation.
        extra: extra members.

    Returns:
        The JSON bytes of the problem object.
    """
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    if extra:
        body.update(extra)
    return msgspec.json.encode(body)


def _response(
    status: int,
    code: str,
    detail: str | None,
    *,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response[bytes]:
    return Response(
        content=problem_body(status, code, detail, extra),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def _handle_problem(_: Request[Any, Any, Any], exc: ProblemError) -> Response[bytes]:
    headers = exc.headers
    if exc.status == 503 and "retry-after" not in {name.lower() for name in headers}:
        headers = {**headers, "Retry-After": str(RETRY_AFTER_SECONDS)}
    return _response(exc.status, exc.code, exc.detail, headers=headers, extra=exc.extra)


def _field_errors(extra: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                key = str(item.get("key") or item.get("source") or "body")
                errors.append(FieldError(field=key, message=str(item.get("message", "invalid"))))
    return errors


def _handle_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    errors = _field_errors(exc.extra)
    detail = exc.detail if errors else (exc.detail or "invalid request")
    return _response(
        400,
        "validation_error",
        detail,
        extra={"errors": msgspec.to_builtins(errors)},
    )


def _handle_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 503:
        headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    code = _DEFAULT_CODES.get(status, "error")
    detail = exc.detail if exc.detail and exc.detail != HTTPStatus(status).phrase else None
    if isinstance(exc, NotAuthorizedException):
        code = "not_authenticated"
    elif isinstance(exc, PermissionDeniedException):
        code = "forbidden"
    elif isinstance(exc, NotFoundException):
        code = "not_found"
    elif status == 400 and exc.detail == "Invalid host header":
        code = "invalid_host"  # Litestar checks the Host syntax before our middleware runs
    return _response(status, code, detail, headers=headers)


def _is_unavailable_one(exc: BaseException) -> bool:
    if isinstance(exc, _UNAVAILABLE_TYPES):
        return True
    if isinstance(exc, asyncpg.PostgresError):
        sqlstate = str(getattr(exc, "sqlstate", "") or "")
        return sqlstate.startswith(("08", "57P"))
    if isinstance(exc, asyncpg.InterfaceError):
        message = str(exc)
        return any(words in message for words in _LOST_CONNECTION_WORDS)
    if isinstance(exc, OSError):
        # network errors; a file-system error names its file and is a bug, not an outage
        return exc.filename is None and exc.errno is not None
    return False


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means a dependency (PostgreSQL, Redis) is unavailable for now.

    The exception itself, its causes and contexts, and the members of an
    exception group are looked at.
    """
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if _is_unavailable_one(current):
            return True
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
    return False


def unavailable_response(detail: str = "try again shortly") -> Response[bytes]:
    """The 503 ``unavailable`` problem with ``Retry-After``."""
    return _response(503, "unavailable", detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if is_unavailable(exc):
        _log.warning(
            "dependency unavailable on %s %s: %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc,
        )
        return unavailable_response()
    _log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _response(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error", None)


def exception_handlers() -> ExceptionHandlersMap:
    """The exception handlers every Stelly app installs."""
    return {
        ProblemError: _handle_problem,
        ValidationException: _handle_validation,
        HTTPException: _handle_http,
        Exception: _handle_unexpected,
    }
