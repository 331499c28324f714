"""OpenAPI helpers: problem+json error responses, bearer auth, ``Idempotency-Key``.

Every error a Stelly service answers is an RFC 9457 problem (see
:mod:`stelly_core.errors`): ``type``, ``title``, ``status`` and ``code``
always, ``detail`` and the validation ``errors`` list when there are any, and
sometimes extra members (``from``/``to``), so the schema allows more
properties. :func:`problem_responses` documents, per status, exactly which
``code`` values an operation can answer: each distinct set becomes one
component schema (a :class:`Problem` whose ``status`` is a constant and whose
``code`` is an enum), named after its codes, so generated clients get a
discriminated union per operation. :func:`exact_struct_schemas` swaps
Litestar's struct schemas for msgspec's own, which state exactly what the
decoder accepts (Litestar drops ``Meta`` inside lists and unions and never
says ``additionalProperties: false``).

Invariants: the same (status, codes) always gives the same class and so the
same component; the codes listed here are the ones the servers emit
(:mod:`stelly_tenancy.middleware` for :data:`TENANT_PROBLEMS`,
:mod:`stelly_tenancy.staff` and :mod:`stelly_core.auth` for
:data:`STAFF_PROBLEMS`).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, get_args

import msgspec
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import HeaderParameter

from stelly_core.errors import PROBLEM_JSON, RETRY_AFTER_SECONDS, FieldError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from litestar import Litestar
    from litestar.openapi.spec import SecurityRequirement

__all__ = [
    "BEARER",
    "IDEMPOTENCY_KEY_PATTERN",
    "STAFF_PROBLEMS",
    "STAFF_SECURITY",
    "TENANT_PROBLEMS",
    "VALIDATION_PROBLEMS",
    "IdempotencyKey",
    "Problem",
    "exact_struct_schemas",
    "openapi_config",
    "problem_responses",
    "problem_type",
]

#: the name of the bearer security scheme in ``components.securitySchemes``
BEARER: Final = "bearer"
#: what a route behind a staff token declares as its ``security``
STAFF_SECURITY: Final[list[SecurityRequirement]] = [{BEARER: []}]
#: an ``Idempotency-Key``: 1-200 visible ASCII characters, nothing else
IDEMPOTENCY_KEY_PATTERN: Final = r"^[\x21-\x7e]{1,200}$"

#: The ``Idempotency-Key`` header as documented: required, 1-200 visible ASCII
#: characters. The constraints are the document's only (``schema_extra``): the
#: handler checks the value itself, so that it can answer with its own stable
#: codes (``idempotency_key_required``, ``invalid_idempotency_key``) rather
#: than a generic ``validation_error``.
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=True,
        description="A fresh key (a UUID) per operation; the same key and body replay the result.",
        schema_extra={
            "type": OpenAPIType.STRING,
            "one_of": None,
            "min_length": 1,
            "max_length": 200,
            "pattern": IDEMPOTENCY_KEY_PATTERN,
        },
    ),
]

#: what every route behind the tenancy middleware can answer, whatever it does
TENANT_PROBLEMS: Final[Mapping[int, tuple[str, ...]]] = {
    400: ("invalid_host",),
    403: ("frontdoor_mismatch", "tenant_suspended"),
    404: ("tenant_not_found",),
    503: ("unavailable",),
}
#: what a route behind :func:`stelly_tenancy.staff.staff_guard` adds
STAFF_PROBLEMS: Final[Mapping[int, tuple[str, ...]]] = {
    401: ("invalid_token", "not_authenticated"),
    403: ("insufficient_role", "token_wrong_tenant"),
}
#: what a route that reads a body, a query or a path parameter adds
VALIDATION_PROBLEMS: Final[Mapping[int, tuple[str, ...]]] = {400: ("validation_error",)}

_DESCRIPTIONS: Final[Mapping[int, str]] = {
    401: "Not authenticated (`WWW-Authenticate: Bearer`).",
    429: "Too many attempts; wait `Retry-After` seconds.",
    503: f"A dependency is unavailable; retry after `Retry-After` seconds ({RETRY_AFTER_SECONDS}).",
}


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem with a stable ``code`` (``application/problem+json``)."""

    type: str
    title: str
    status: Annotated[int, msgspec.Meta(ge=400, le=599)]
    code: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]+$")]
    detail: str | msgspec.UnsetType = msgspec.UNSET
    #: the fields that are wrong, on validation errors
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET


_TYPES: dict[tuple[int, tuple[str, ...]], type[msgspec.Struct]] = {}
_CODE = re.compile(r"^[a-z0-9_]+$")


def _camel(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


def problem_type(status: int, codes: Iterable[str]) -> type[msgspec.Struct]:
    """The problem struct for one status and its codes (one class per distinct set).

    Args:
        status: the HTTP status (400-599).
        codes: the ``code`` values this status can carry.

    Returns:
        A :class:`Problem`-shaped struct with ``status`` fixed and ``code`` an enum,
        named ``<Codes>Problem`` (``ItemNotFoundOrTenantNotFoundProblem``).

    Raises:
        ValueError: for a status outside 400-599, no codes or a code that is not snake_case.
    """
    unique = tuple(sorted(set(codes)))
    if not 400 <= status <= 599 or not unique or not all(_CODE.fullmatch(c) for c in unique):
        raise ValueError(f"invalid problem {status} {unique!r}")
    key = (status, unique)
    known = _TYPES.get(key)
    if known is not None:
        return known
    name = "Or".join(_camel(code) for code in unique) + "Problem"
    if any(other_name == name for other_name in (t.__name__ for t in _TYPES.values())):
        name = f"{name}{status}"
    code_type: Any = Literal[unique]  # a Literal of every code
    status_type: Any = Literal[status]
    cls = msgspec.defstruct(
        name,
        [("status", status_type), ("code", code_type)],
        bases=(Problem,),
        kw_only=True,
        module=__name__,
    )
    cls.__doc__ = f"{status} {HTTPStatus(status).phrase}: `code` is one of {', '.join(unique)}."
    _TYPES[key] = cls
    return cls


def problem_responses(*code_maps: Mapping[int, Iterable[str]]) -> dict[int, ResponseSpec]:
    """The ``responses=`` of a route handler for the problems it can answer.

    Args:
        *code_maps: status to codes; the maps are merged (codes of the same
            status are joined), so ``problem_responses(TENANT_PROBLEMS,
            {404: ["item_not_found"]})`` documents both 404 codes.

    Returns:
        One ``application/problem+json`` :class:`ResponseSpec` per status.
    """
    merged: dict[int, set[str]] = {}
    for code_map in code_maps:
        for status, codes in code_map.items():
            merged.setdefault(status, set()).update(codes)
    return {
        status: ResponseSpec(
            problem_type(status, codes),
            description=_DESCRIPTIONS.get(status, HTTPStatus(status).phrase + ".")
            + " `code`: "
            + ", ".join(f"`{c}`" for c in sorted(codes))
            + ".",
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status, codes in sorted(merged.items())
    }


def exact_struct_schemas(app: Litestar) -> None:
    """Replace the app's msgspec struct schemas by msgspec's own (call once, after building it).

    Litestar loses constraints on the way (``Meta`` inside list items or
    ``X | UnsetType`` unions, ``forbid_unknown_fields`` as
    ``additionalProperties: false``); msgspec's JSON Schema states exactly
    what its decoder accepts and what its encoder sends. Every component named
    like a struct of a handler's body or return type is swapped for it.
    """
    openapi = app.plugins.get(OpenAPIPlugin).provide_openapi()
    components = openapi.components.schemas if openapi.components else None
    if not components:
        return
    exact: dict[str, Any] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            signature = handler.parsed_fn_signature
            candidates = [signature.return_type.annotation]
            if "data" in signature.parameters:
                candidates.append(signature.parameters["data"].annotation)
            candidates.extend(spec.data_container for spec in (handler.responses or {}).values())
            for annotation in candidates:
                for candidate in (annotation, *get_args(annotation)):
                    try:
                        _, found = msgspec.json.schema_components(
                            [candidate], ref_template="#/components/schemas/{name}"
                        )
                    except (TypeError, ValueError):
                        continue
                    exact.update(found)
                    break
    for name, schema in exact.items():
        if name in components:
            components[name] = schema


def openapi_config(title: str, version: str, *, description: str | None = None) -> OpenAPIConfig:
    """The OpenAPI config of a Stelly service: served at ``/schema`` (``/schema/openapi.json``).

    Declares the bearer scheme (:data:`BEARER`) and the :class:`Problem` schema.
    """
    return OpenAPIConfig(
        title=title,
        version=version,
        description=description,
        path="/schema",
        use_handler_docstrings=True,
        create_examples=False,
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="JWT",
                    description="A token from `POST /api/v1/auth/token`.",
                )
            }
        ),
    )
