"""The send side of a socket, against an ASGI ``send`` whose buffer we control.

The ``send`` below stands in for the server's: it takes a frame at once while
"writable" and waits otherwise, as uvicorn's does when the socket's write
buffer is over its high-water mark.
"""

from __future__ import annotations

import asyncio
from typing import Any

from stelly_realtime.connection import Connection


class FakeServerSend:
    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()
        self.sent: list[Any] = []
        self.suspensions = 0

    async def __call__(self, message: dict[str, Any]) -> None:
        if not self.writable.is_set():
            self.suspensions += 1
            await self.writable.wait()
        self.sent.append(message.get("text", message.get("code")))


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_frames_go_out_immediately_while_the_socket_is_writable() -> None:
    send = FakeServerSend()
    connection = Connection(send, max_backlog=4)
    for n in range(100):
        connection.push(str(n))
    assert send.sent == [str(n) for n in range(100)]  # no await in between: nothing was scheduled
    assert connection.backlog == 0


async def test_a_blocked_socket_gets_its_frames_in_order_once_writable() -> None:
    send = FakeServerSend()
    connection = Connection(send, max_backlog=4)
    send.writable.clear()
    for n in range(5):
        connection.push(str(n))
    assert send.sent == []
    assert connection.backlog == 4  # frame 0 is in flight, 1-4 wait
    send.writable.set()
    await _settle()
    assert send.sent == ["0", "1", "2", "3", "4"]
    connection.push("5")
    assert send.sent[-1] == "5"  # back on the immediate path
    assert not connection.closed


async def test_backlog_overflow_closes_with_1013_and_drops_the_rest() -> None:
    send = FakeServerSend()
    connection = Connection(send, max_backlog=2)
    send.writable.clear()
    for n in range(4):
        connection.push(str(n))
    assert connection.closed
    assert connection.close_code == 1013
    connection.push("late")
    send.writable.set()
    await _settle()
    assert send.sent == [1013]


async def test_a_gone_peer_marks_the_connection_closed() -> None:
    async def gone(message: dict[str, Any]) -> None:
        raise RuntimeError("disconnected")

    connection = Connection(gone, max_backlog=2)
    connection.push("x")
    assert connection.closed


async def test_aclose_cancels_a_pending_send() -> None:
    send = FakeServerSend()
    connection = Connection(send, max_backlog=2)
    send.writable.clear()
    connection.push("x")
    await connection.aclose()
    send.writable.set()
    await _settle()
    assert send.sent == []
