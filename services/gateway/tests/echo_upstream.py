"""A test upstream for the gateway: echoes what it received (run as a uvicorn process).

``/readyz`` answers 200 until ``POST /_ready/off`` (then 503; ``/_ready/on``
again), like a service that drains. With ``ECHO_LOG`` every proxied request
is appended there (``name method path idempotency-key``) before it is
answered. A path ending in ``/die`` with ``ECHO_DIE_MARKER`` set kills the
process after reading the request, without answering, for whichever replica
creates the marker file first (the others answer normally).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import uvicorn

NAME = os.environ.get("ECHO_NAME", "echo")
LOG = os.environ.get("ECHO_LOG")
DIE_MARKER = os.environ.get("ECHO_DIE_MARKER")
_ready = True


async def _answer(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": body})


def _record(path: str, line: str) -> None:
    with open(path, "a") as log:  # before answering: the test reads it right after
        log.write(line)


def _first_to_die() -> bool:
    if not DIE_MARKER:
        return False
    try:
        os.close(os.open(DIE_MARKER, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send(
            {"type": "websocket.send", "text": json.dumps({"name": NAME, "headers": headers})}
        )
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text and text.startswith("close:"):
                await send({"type": "websocket.close", "code": int(text[6:]), "reason": "bye"})
                return
            await send({"type": "websocket.send", "text": f"echo:{text}"})
    global _ready
    if scope["path"] == "/readyz":
        await _answer(send, 200 if _ready else 503, b"ready" if _ready else b"draining")
        return
    if scope["path"].startswith("/_ready/"):
        _ready = scope["path"] == "/_ready/on"
        await _answer(send, 200, b"ok")
        return
    if scope["path"].endswith("/slow"):
        await asyncio.sleep(5)
    size = 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    if LOG:
        key = headers.get("idempotency-key", "-")
        _record(LOG, f"{NAME} {scope['method']} {scope['path']} {key}\n")
    if scope["path"].endswith("/die") and _first_to_die():
        os._exit(1)
    body = json.dumps(
        {
            "name": NAME,
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode(),
            "headers": headers,
            "body_len": size,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"x-upstream", NAME.encode()),
                (b"connection", b"keep-alive"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
