"""``GET /ws/v1``: the Litestar adapter between a socket and its session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import websocket
from litestar.exceptions import WebSocketDisconnect
from stelly_tenancy.middleware import current_tenant

from stelly_realtime.direct import direct_writer

if TYPE_CHECKING:
    from litestar.connection import WebSocket

    from stelly_realtime.service import RealtimeService

__all__ = ["CLOSE_UNSUPPORTED_DATA", "realtime_socket"]

CLOSE_UNSUPPORTED_DATA = 1003


@websocket("/ws/v1")
async def realtime_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """One client: JSON text commands in, frames out, until either side closes."""
    service: RealtimeService = socket.app.state["realtime"]
    tenant = current_tenant(socket)
    await socket.accept()
    session = service.open(tenant, socket.send, direct_writer(socket.scope))
    connection = session.connection
    try:
        while not connection.closed:
            message = await socket.receive()
            if message["type"] != "websocket.receive":
                break
            text = message.get("text")
            if text is None:
                connection.close(CLOSE_UNSUPPORTED_DATA, "text_frames_only")
                break
            await session.handle_text(text)
        if connection.closed:
            # wait for the close handshake (or the peer's going) before letting go
            while (await socket.receive())["type"] != "websocket.disconnect":
                pass
    except WebSocketDisconnect:
        pass
    finally:
        await service.close(session)
