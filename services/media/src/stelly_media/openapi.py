"""What the media API's OpenAPI document needs that Litestar cannot infer.

- The upload's request body: the handler streams the form itself
  (:mod:`stelly_media.uploads`), so Litestar never sees a ``data`` parameter
  to describe; :class:`UploadOperation` states :data:`~stelly_media.uploads.UPLOAD_FORM`
  and the ``Location`` of its 202.
- The headers that problems carry (:class:`MediaOperation`): every 503 sends
  ``Retry-After`` and every 401 ``WWW-Authenticate: Bearer``
  (:mod:`stelly_core.errors`, :mod:`stelly_tenancy.staff`), which
  :func:`stelly_core.openapi.problem_responses` does not document.

Invariant: only headers the server always sends with that status are
declared, and as required, so that a client may rely on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from litestar.openapi.spec import OpenAPIHeader, OpenAPIResponse, OpenAPIType, Operation, Schema

from stelly_media.uploads import UPLOAD_FORM

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["PROBLEM_HEADERS", "MediaOperation", "UploadOperation"]

#: status -> the headers its problems always carry
PROBLEM_HEADERS: Mapping[str, Mapping[str, OpenAPIHeader]] = {
    "401": {
        "WWW-Authenticate": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING, const="Bearer"),
            required=True,
            description="Always `Bearer`.",
        )
    },
    "503": {
        "Retry-After": OpenAPIHeader(
            schema=Schema(type=OpenAPIType.INTEGER, minimum=0),
            required=True,
            description="Seconds to wait before trying again.",
        )
    },
}

_LOCATION = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING, format="uri-reference"),  # type: ignore[arg-type]
    required=True,
    description="The image's status URL, `/api/v1/media/images/{id}`.",
)


def _add_headers(operation: Operation, status: str, headers: Mapping[str, OpenAPIHeader]) -> None:
    response = (operation.responses or {}).get(status)
    if isinstance(response, OpenAPIResponse):
        response.headers = {**(response.headers or {}), **headers}


@dataclass
class MediaOperation(Operation):
    """An operation of the media API: its problems document their headers."""

    def __post_init__(self) -> None:
        for status, headers in PROBLEM_HEADERS.items():
            _add_headers(self, status, headers)


@dataclass
class UploadOperation(MediaOperation):
    """``POST /api/v1/media/images``: the form it streams and the ``Location`` it answers."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.request_body = UPLOAD_FORM
        _add_headers(self, "202", {"Location": _LOCATION})
