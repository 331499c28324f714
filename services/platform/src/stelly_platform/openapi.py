"""The platform service's documented problems, on top of :mod:`stelly_core.openapi`.

Every route is behind the console-host gate (404 ``not_found`` on another
host, 403 ``frontdoor_mismatch`` past the edge) and reads a body, a query or
a path (400 ``validation_error``); :func:`console_responses` adds those, and
:func:`admin_responses` the token's 401s, so a controller names only its own codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from stelly_core.openapi import VALIDATION_PROBLEMS, problem_responses

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from litestar.openapi.datastructures import ResponseSpec

__all__ = ["CONSOLE_PROBLEMS", "admin_responses", "console_responses"]

#: what every console route can answer, whatever it does
CONSOLE_PROBLEMS: Final[Mapping[int, tuple[str, ...]]] = {
    403: ("frontdoor_mismatch",),
    404: ("not_found",),
    503: ("unavailable",),
}
_ADMIN: Final[Mapping[int, tuple[str, ...]]] = {401: ("invalid_token", "not_authenticated")}


def console_responses(*extra: Mapping[int, Iterable[str]]) -> dict[int, ResponseSpec]:
    """The problems of a console route anyone may call, plus ``extra``."""
    return problem_responses(CONSOLE_PROBLEMS, VALIDATION_PROBLEMS, *extra)


def admin_responses(*extra: Mapping[int, Iterable[str]]) -> dict[int, ResponseSpec]:
    """The problems of a route behind a platform admin's token, plus ``extra``."""
    return problem_responses(CONSOLE_PROBLEMS, VALIDATION_PROBLEMS, _ADMIN, *extra)
