"""Receiving one uploaded file from a streamed ``multipart/form-data`` body.

The body is read chunk by chunk from the ASGI stream (``Request.stream()``)
and fed to the sans-IO ``PushMultipartParser`` of the ``multipart`` package
(the parser Litestar itself uses). The ``file`` field goes straight to a
temporary file; the size limit is enforced on the bytes received so far, so
an oversized upload is refused after at most the limit has been read,
whatever ``Content-Length`` says (and at once when it announces too much).

The form is strict: one non-empty ``file`` part and nothing else, which is
exactly what :data:`UPLOAD_FORM` documents for the OpenAPI document (Litestar
never sees this body, so it cannot describe it).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar.exceptions import InternalServerException
from litestar.openapi.spec import (
    Encoding,
    OpenAPIMediaType,
    OpenAPIType,
    RequestBody,
    Schema,
)
from multipart import (  # type: ignore[import-untyped]
    MultipartError,
    MultipartSegment,
    ParserLimitReached,
    PushMultipartParser,
    parse_options_header,
)
from stelly_core.errors import ProblemError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Request

__all__ = [
    "FIELD",
    "IMAGE_CONTENT_TYPES",
    "MULTIPART_OVERHEAD",
    "UPLOAD_FORM",
    "ReceivedFile",
    "receive_file",
]

#: The form field that carries the image (SPEC §3).
FIELD = "file"
#: What a form may add around the file: boundaries and part headers.
MULTIPART_OVERHEAD = 64 * 1024
#: what the file must be; judged by its bytes, the part's declared type is ignored
IMAGE_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp")

#: the request body :func:`receive_file` accepts, for the OpenAPI document
UPLOAD_FORM = RequestBody(
    required=True,
    description=(
        "A `multipart/form-data` form with one part, `file`: a JPEG, PNG or WebP image"
        " (judged by its bytes, not by the declared type or file name), at most"
        " `STELLY_MEDIA_MAX_BYTES` (10 MiB by default) and `STELLY_MEDIA_MAX_PIXELS`"
        " (40 megapixels by default)."
    ),
    content={
        "multipart/form-data": OpenAPIMediaType(
            schema=Schema(
                type=OpenAPIType.OBJECT,
                required=[FIELD],
                properties={
                    FIELD: Schema(
                        type=OpenAPIType.STRING,
                        format="binary",  # type: ignore[arg-type]
                        description="The image file.",
                    )
                },
                additional_properties=False,
            ),
            encoding={FIELD: Encoding(content_type=", ".join(IMAGE_CONTENT_TYPES))},
        )
    },
)


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """The ``file`` part, on disk; the caller deletes ``path``."""

    path: Path
    size: int
    filename: str | None


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _invalid_form(message: str, detail: str) -> ProblemError:
    return ProblemError(
        400,
        "validation_error",
        detail,
        extra={"errors": [{"field": FIELD, "message": message}]},
    )


def too_large(max_bytes: int) -> ProblemError:
    return ProblemError(
        413,
        "payload_too_large",
        f"the file is larger than {max_bytes} bytes",
        extra={"max_bytes": max_bytes},
    )


def _boundary(request: Request[Any, Any, Any]) -> str:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get("boundary")
    if content_type != "multipart/form-data" or not boundary:
        raise ProblemError(
            415,
            "unsupported_media_type",
            "send the image as multipart/form-data in the field 'file'",
        )
    return str(boundary)


async def _chunks(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            if chunk:
                yield chunk
    except InternalServerException:  # Litestar's word for a client that went away
        raise ProblemError(400, "incomplete_body", "the upload was interrupted") from None


async def receive_file(
    request: Request[Any, Any, Any], *, max_bytes: int, directory: Path | None = None
) -> ReceivedFile:
    """Stream the ``file`` field of a multipart request to a temporary file.

    Args:
        request: the request; its body has not been read.
        max_bytes: the largest file accepted.
        directory: where the temporary file goes (the system's by default).

    Returns:
        The received file.

    Raises:
        ProblemError: 413 ``payload_too_large`` past ``max_bytes``, 415 for a
            body that is not multipart, 400 ``validation_error`` for a
            malformed form, one without a non-empty ``file`` field, or one
            with any other part (a second ``file`` included).
    """
    announced = request.headers.get("content-length")
    if (
        announced is not None
        and announced.isdigit()
        and int(announced) > max_bytes + MULTIPART_OVERHEAD
    ):
        raise too_large(max_bytes)
    # the body as a whole is capped by the route's request_max_body_size
    parser = PushMultipartParser(
        _boundary(request), max_header_size=4096, max_header_count=8, max_segment_count=16
    )
    handle = tempfile.NamedTemporaryFile(prefix="stelly-upload-", dir=directory, delete=False)  # noqa: SIM115 - handed to the caller
    path = Path(handle.name)
    received: ReceivedFile | None = None
    in_file = False
    size = 0
    filename: str | None = None
    try:
        async for chunk in _chunks(request):
            for event in parser.parse(chunk):
                if isinstance(event, MultipartSegment):
                    if event.name != FIELD or received is not None:
                        what = "a second" if event.name == FIELD else "an unexpected"
                        raise _invalid_form(
                            f"the only part allowed is one '{FIELD}'",
                            f"the form has {what} part {event.name[:100]!r}",
                        )
                    in_file = True
                    filename = event.filename
                elif event is None:
                    if in_file:
                        received = ReceivedFile(path, size, filename)
                    in_file = False
                elif in_file:
                    size += len(event)
                    if size > max_bytes:
                        raise too_large(max_bytes)
                    handle.write(event)
        parser.close()
    except MultipartError as exc:
        handle.close()
        _discard(path)
        what = "has too many parts" if isinstance(exc, ParserLimitReached) else "is malformed"
        raise _invalid_form(f"multipart body {what}", f"the multipart body {what}") from None
    except BaseException:
        handle.close()
        _discard(path)
        raise
    handle.close()
    if received is None or received.size == 0:
        _discard(path)
        raise _invalid_form("required: a non-empty file", "no file was sent")
    return received
