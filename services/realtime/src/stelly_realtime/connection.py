"""The sending side of one socket: lean, bounded, and without a task per message.

A frame is handed to the server's ASGI ``send`` and stepped once by hand.
With uvicorn that step completes at once unless the socket's write buffer is
over its high-water mark, so fanning an event out to thousands of sockets is
a plain loop with no task switch per socket. Only when a socket cannot take
more does the rest of the send move to a task, and frames for that socket
wait in a bounded backlog; a socket whose backlog overflows is a slow
consumer and is closed with 1013.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import TYPE_CHECKING, Any, cast

from stelly_realtime.direct import frame_text

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine

    from stelly_realtime.direct import DirectWriter

__all__ = ["CLOSE_TRY_AGAIN_LATER", "Connection"]

CLOSE_TRY_AGAIN_LATER = 1013


async def _finish(coro: Coroutine[Any, Any, None], waiting: Any) -> None:
    """Run a coroutine that was stepped by hand to its end, from a task."""
    try:
        while True:
            if isinstance(waiting, asyncio.Future):
                waiting._asyncio_future_blocking = False
                await asyncio.wait((waiting,))
            else:  # a bare yield (``asyncio.sleep(0)``)
                await asyncio.sleep(0)
            try:
                waiting = coro.send(None)
            except StopIteration:
                return
    finally:
        coro.close()


class Connection:
    """Frames out to one WebSocket, in order, with a bounded backlog.

    Args:
        send: the ASGI ``send`` of the socket.
        max_backlog: frames that may wait while the socket cannot take more.
        direct: the server's transport fast path, when there is one.
    """

    __slots__ = ("_backlog", "_direct", "_max_backlog", "_send", "_task", "close_code", "closed")

    def __init__(
        self,
        send: Callable[[Any], Awaitable[None]],
        *,
        max_backlog: int,
        direct: DirectWriter | None = None,
    ) -> None:
        self._send = send
        self._direct = direct
        self._max_backlog = max_backlog
        self._backlog: deque[str] | None = None
        self._task: asyncio.Task[None] | None = None
        self.closed = False
        self.close_code: int | None = None

    @property
    def backlog(self) -> int:
        """Frames waiting for the socket."""
        return len(self._backlog) if self._backlog is not None else 0

    @property
    def direct(self) -> bool:
        """Whether frames can go straight to the server's transport."""
        return self._direct is not None

    def push(self, text: str, wire: bytes | None = None) -> None:
        """Send a text frame after those already pushed; never blocks.

        Args:
            text: the frame's JSON text.
            wire: the same, already framed (shared by every socket it goes to).
        """
        if self.closed:
            return
        if self._backlog is not None:
            if len(self._backlog) >= self._max_backlog:
                self.close(CLOSE_TRY_AGAIN_LATER)
            else:
                self._backlog.append(text)
            return
        if self._direct is not None and self._direct.write(
            wire if wire is not None else frame_text(text.encode())
        ):
            return
        coro = cast(
            "Coroutine[Any, Any, None]", self._send({"type": "websocket.send", "text": text})
        )
        try:
            waiting = coro.send(None)
        except StopIteration:
            return
        except Exception:
            self.closed = True  # the peer is gone; the receive side will notice
            return
        self._backlog = deque()
        self._task = asyncio.get_running_loop().create_task(self._drain(coro, waiting))

    async def _drain(self, coro: Coroutine[Any, Any, None], waiting: Any) -> None:
        try:
            await _finish(coro, waiting)
            while self._backlog and not self.closed:
                await self._send({"type": "websocket.send", "text": self._backlog.popleft()})
        except asyncio.CancelledError:
            raise
        except Exception:
            self.closed = True
        finally:
            if self._task is asyncio.current_task():
                self._task = None
                self._backlog = None

    def close(self, code: int, reason: str = "") -> None:
        """Close the socket with ``code``, dropping frames not yet sent."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        self._backlog = None
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        # No timeout: the close frame waits behind what the peer has not read
        # yet. A peer that never reads again is dropped by the server's ping
        # timeout, which ends this send too.
        with contextlib.suppress(Exception):
            await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def aclose(self) -> None:
        """Stop sending (the socket is gone): cancel a pending send."""
        self.closed = True
        self._backlog = None
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
