"""A request body as the proxy sends it: buffered (can be sent again) or streamed.

A request the gateway may retry on another replica (GET, HEAD, or any
method with ``Idempotency-Key``) has its body read into memory first, up to
:data:`MAX_BUFFERED_BODY`; a larger one is streamed and never retried.

Invariants: a streamed body is read from the client at most once, and
``started`` tells whether any of it was; a buffered body can be sent any
number of times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from stelly_gateway.asgi import Receive

__all__ = ["MAX_BUFFERED_BODY", "RequestBody", "read_request_body"]

MAX_BUFFERED_BODY = 1024 * 1024


class RequestBody:
    """What to pass to aiohttp as ``data`` for one attempt."""

    def __init__(self, receive: Receive, buffered: list[bytes], complete: bool) -> None:
        self._receive = receive
        self._buffered = buffered
        self.complete = complete
        self.started = False

    @property
    def replayable(self) -> bool:
        """Whether the body is wholly in memory (so it can go to another replica)."""
        return self.complete

    def data(self) -> bytes | AsyncIterator[bytes]:
        """The body for one attempt: bytes when buffered, else the stream."""
        if self.complete:
            return b"".join(self._buffered)
        return self._stream()

    async def _stream(self) -> AsyncIterator[bytes]:
        self.started = True
        for chunk in self._buffered:
            yield chunk
        self._buffered = []
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ConnectionAbortedError("client went away")
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


async def read_request_body(
    receive: Receive, *, buffer: bool, content_length: int | None
) -> RequestBody:
    """Prepare the body: buffer it when asked and small enough, else stream it.

    Args:
        receive: the ASGI receive channel.
        buffer: read it into memory (the request may be retried).
        content_length: the client's ``Content-Length`` when given.

    Raises:
        ConnectionAbortedError: when the client went away while buffering.
    """
    if not buffer or (content_length is not None and content_length > MAX_BUFFERED_BODY):
        return RequestBody(receive, [], complete=False)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("client went away")
        chunk = message.get("body", b"")
        if chunk:
            chunks.append(chunk)
            size += len(chunk)
        if not message.get("more_body", False):
            return RequestBody(receive, chunks, complete=True)
        if size > MAX_BUFFERED_BODY:
            return RequestBody(receive, chunks, complete=False)
