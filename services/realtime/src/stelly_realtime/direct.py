"""A fast path for uvicorn's sans-I/O WebSocket protocol: pre-framed bytes.

A server's text frame is the same bytes for every socket (servers do not
mask, and we negotiate no per-message deflate), so an event is framed once
and written to each socket's transport as it is: no ASGI ``send``
coroutines, no per-socket re-framing. Used only when the ASGI server is
uvicorn's ``websockets-sansio`` protocol with no extension on the socket,
and only while that socket is open and below its write high-water mark;
everything else goes through the ASGI ``send``, which keeps the protocol's
own bookkeeping (closing, flow control) authoritative.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["SERVER_SEND", "DirectWriter", "ExposeServerSend", "direct_writer", "frame_text"]

#: The scope key under which :class:`ExposeServerSend` leaves the server's ``send``.
SERVER_SEND = "stelly.server_send"


def frame_text(payload: bytes) -> bytes:
    """One unmasked, final text frame (RFC 6455 §5.2) carrying ``payload``."""
    size = len(payload)
    if size < 126:
        head = bytes((0x81, size))
    elif size < 1 << 16:
        head = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return head + payload


class DirectWriter:
    """Writes frames straight to one uvicorn WebSocket transport when it can."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol

    def write(self, wire: bytes) -> bool:
        """Write a framed message now; ``False`` when the ASGI path must take it."""
        protocol = self._protocol
        transport = protocol.transport
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.writable.is_set()
            or transport.is_closing()
        ):
            return False
        transport.write(wire)
        return True


def direct_writer(scope: Mapping[str, Any]) -> DirectWriter | None:
    """The fast path for this socket, or ``None`` when the server is not one we know."""
    send = scope.get(SERVER_SEND)
    protocol = getattr(send, "__self__", None)
    if protocol is None:
        return None
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
    except ImportError:  # pragma: no cover - uvicorn is a dependency
        return None
    if type(protocol) is not WebSocketsSansIOProtocol or protocol.conn.extensions:
        return None
    return DirectWriter(protocol)


class ExposeServerSend:
    """ASGI wrapper that leaves the server's own ``send`` on WebSocket scopes.

    Litestar wraps ``send`` in a few layers before a handler sees it; the
    fast path needs the server's, so the process wraps the app with this.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            scope[SERVER_SEND] = send
        await self.app(scope, receive, send)
