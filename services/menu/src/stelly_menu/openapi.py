"""The menu service's documented problems, on top of :mod:`stelly_core.openapi`.

Every route is behind the tenancy middleware, so every one can answer
:data:`~stelly_core.openapi.TENANT_PROBLEMS`; these helpers add what staff
routes, inputs and path ids add, so that a controller names only its own codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stelly_core.openapi import (
    STAFF_PROBLEMS,
    TENANT_PROBLEMS,
    VALIDATION_PROBLEMS,
    problem_responses,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from litestar.openapi.datastructures import ResponseSpec

__all__ = ["PATH_ID_PROBLEMS", "public_responses", "staff_responses"]

#: an ``{id:int}`` path segment: not a number is no route (404), out of range is a 400
PATH_ID_PROBLEMS: Mapping[int, tuple[str, ...]] = {
    **VALIDATION_PROBLEMS,
    404: ("not_found",),
}


def public_responses(*extra: Mapping[int, Iterable[str]]) -> dict[int, ResponseSpec]:
    """The problems of a route anyone may call, plus ``extra``."""
    return problem_responses(TENANT_PROBLEMS, *extra)


def staff_responses(*extra: Mapping[int, Iterable[str]]) -> dict[int, ResponseSpec]:
    """The problems of a route behind a staff token, plus ``extra``."""
    return problem_responses(TENANT_PROBLEMS, STAFF_PROBLEMS, *extra)
