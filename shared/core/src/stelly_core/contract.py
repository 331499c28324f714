"""Keeping a service to the contract its OpenAPI document states.

Two gaps of Litestar 2 that a contract fuzzer finds at once, closed by hooks
every Stelly app installs (:func:`contract_hooks`):

- Litestar converts a JSON body to its msgspec type with ``strict=False``, so
  ``"available": 0`` becomes ``false`` and ``"price": "5"`` becomes ``5``
  although the document says boolean and integer. :func:`strict_json_body`
  converts the body once more, strictly, against the same type, before the
  handler runs (a float with no fraction counts as an integer, as in JSON
  Schema) (after the guards, so a request without credentials is still a
  401 first); a refusal is the usual 400 ``validation_error`` naming the field.
- When handlers for one path are registered one by one, the ``OPTIONS`` answer
  lists only the first one's methods (litestar-org/litestar#4169, fixed in v3).
  :func:`complete_allow_header` rewrites ``Allow`` from the app's route map.

Invariant: a body the hook accepts is one Litestar's own conversion accepts
too (strict is a subset of lax), so the handler sees exactly what it did before.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.exceptions import ValidationException

if TYPE_CHECKING:
    from litestar import Litestar, Request
    from litestar.types import (
        BeforeMessageSendHookHandler,
        BeforeRequestHookHandler,
        Message,
        Scope,
    )

__all__ = ["complete_allow_header", "contract_hooks", "strict_json_body"]

#: where msgspec says the error is: ``- at `$.a[0].b``` (or ``- at `key` in `$.a```)
_AT = re.compile(r" - at (?:`key` in )?`\$\.?(?P<path>[^`]*)`$")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _integral_floats(value: Any) -> Any:
    """``12.0`` as ``12``: JSON Schema counts it an integer, so the server does too."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral_floats(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral_floats(item) for key, item in value.items()}
    return value


def _body_type(request: Request[Any, Any, Any]) -> Any:
    field = request.route_handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return None
    return field.annotation


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    """Refuse a JSON body that only a lax conversion would accept (a ``before_request`` hook).

    Raises:
        ValidationException: with the failing field as ``key``, answered as
            400 ``validation_error`` by :mod:`stelly_core.errors`.
    """
    if request.method not in _BODY_METHODS:
        return
    target = _body_type(request)
    if target is None:
        return
    body = await request.body()
    try:
        msgspec.convert(_integral_floats(msgspec.json.decode(body or b"null")), target, strict=True)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _AT.search(message)
        key = match.group("path") if match else ""
        text = message[: match.start()] if match else message
        raise ValidationException(
            detail=f"{key or 'body'}: {text}",
            extra=[{"key": key or "body", "message": text, "source": "body"}],
        ) from None
    except msgspec.DecodeError:
        raise ValidationException(
            detail="the body is not valid JSON",
            extra=[{"key": "body", "message": "not valid JSON", "source": "body"}],
        ) from None


async def complete_allow_header(message: Message, scope: Scope) -> None:
    """Make the ``Allow`` of an ``OPTIONS`` answer list every method of the path (a ``before_send`` hook)."""
    if message["type"] != "http.response.start" or scope.get("method") != "OPTIONS":
        return
    handler = scope.get("route_handler")
    app: Litestar | None = scope.get("litestar_app")
    if handler is None or app is None:
        return
    route_map = app.route_handler_method_map
    methods: set[str] = set()
    for path in getattr(handler, "paths", ()):
        methods.update(str(method) for method in route_map.get(path, {}))
    if not methods:
        return
    methods.add("OPTIONS")
    allow = ", ".join(sorted(methods)).encode()
    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
    message["headers"] = [*headers, (b"allow", allow)]


def contract_hooks() -> dict[str, Any]:
    """The app keyword arguments that install both hooks: ``Litestar(..., **contract_hooks())``."""
    before_request: BeforeRequestHookHandler = strict_json_body
    before_send: list[BeforeMessageSendHookHandler] = [complete_allow_header]
    return {"before_request": before_request, "before_send": before_send}
