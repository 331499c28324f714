"""Receiving one uploaded file from a streamed ``multipart/form-data`` body.

The body is read chunk by chunk from the ASGI stream (``Request.stream()``)
and fed to the sans-IO ``PushMultipartParser`` of the ``multipart`` package
(the parser Litestar itself uses). The ``file`` field goes straight to a
temporary file; the size limit is enforced on the bytes received so far, so
an oversized upload is refused after at most the limit has been read,
whatever ``Content-Length`` says (and at once when it announces too much).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar.exceptions import InternalServerException
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

__all__ = ["FIELD", "MULTIPART_OVERHEAD", "ReceivedFile", "receive_file"]

#: The form field that carries the image (SPEC §3).
FIELD = "file"
#: What a form may add around the file: boundaries, part headers, small fields.
MULTIPART_OVERHEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """The ``file`` part, on disk; the caller deletes ``path``."""

    path: Path
    size: int
    filename: str | None


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


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
            malformed form or one without a non-empty ``file`` field.
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
                    in_file = event.name == FIELD and received is None
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
        raise ProblemError(
            400,
            "validation_error",
            f"the multipart body {what}",
            extra={"errors": [{"field": FIELD, "message": f"multipart body {what}"}]},
        ) from None
    except BaseException:
        handle.close()
        _discard(path)
        raise
    handle.close()
    if received is None or received.size == 0:
        _discard(path)
        raise ProblemError(
            400,
            "validation_error",
            "no file was sent",
            extra={"errors": [{"field": FIELD, "message": "required: a non-empty file"}]},
        )
    return received
