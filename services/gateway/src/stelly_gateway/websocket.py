"""WebSocket proxying: accept the client only once a replica accepted, then pump.

Invariants:
- Replicas are tried in :meth:`Origin.choose` order; one that cannot be
  reached, or refuses the handshake with 502/503/504 (draining or broken),
  is skipped for the next one (a failed connect takes it out of rotation).
  Nothing was opened, so trying again is always safe.
- Another refusal (403, 404, ...) is passed to the client as it is.
- When every replica failed: 503 ``upstream_unavailable`` with
  ``Retry-After: 1`` (or close 1013 "try again later" when the server cannot
  send an HTTP denial).
- An open socket counts as one outstanding request of its replica; close
  codes cross in both directions (1012, 1013 and the rest).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import websockets
from stelly_core.errors import PROBLEM_JSON, problem_body
from websockets.exceptions import ConnectionClosed, InvalidStatus

from stelly_gateway.proxy import MAX_ATTEMPTS, RETRY_PAUSE

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from stelly_gateway.asgi import Receive, Scope, Send
    from stelly_gateway.replicas import Origin, Replica

__all__ = ["proxy_websocket"]

_log = logging.getLogger("stelly.gateway")
_SKIP_STATUSES = frozenset({502, 503, 504})


async def proxy_websocket(
    origin: Origin,
    scope: Scope,
    receive: Receive,
    send: Send,
    headers: list[tuple[str, str]],
    open_timeout: float,
) -> int:
    """Open the upstream socket on a replica of ``origin``, accept the client, pump both ways.

    Returns:
        101 when proxied, else the refusal status.
    """
    message = await receive()
    if message["type"] != "websocket.connect":
        return 400
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    target = raw_path.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")
    tried: set[Replica] = set()
    for _ in range(MAX_ATTEMPTS):
        replica = origin.choose(tried)
        if replica is None and tried:
            await asyncio.sleep(RETRY_PAUSE)
            tried.clear()
            replica = origin.choose(tried)
        if replica is None:
            break
        tried.add(replica)
        url = "ws" + replica.url.removeprefix("http") + target
        with replica.in_use():
            try:
                upstream_ws = await websockets.connect(
                    url,
                    additional_headers=headers,
                    subprotocols=scope.get("subprotocols") or None,
                    open_timeout=open_timeout,
                    compression=None,
                    max_size=None,
                    ping_interval=None,
                )
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in _SKIP_STATUSES:
                    _log.info(
                        "websocket refused by %s with %s, trying another", replica.url, status
                    )
                    continue
                await _deny(
                    scope,
                    send,
                    status,
                    bytes(exc.response.body or b""),
                    exc.response.headers.get("content-type"),
                )
                return status
            except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as exc:
                if isinstance(exc, OSError) and not isinstance(exc, TimeoutError):
                    replica.mark_down(f"websocket connect failed: {exc}")
                _log.info("websocket to %s failed, trying another: %r", replica.url, exc)
                continue
            await _pump(upstream_ws, receive, send)
            return 101
    body = problem_body(503, "upstream_unavailable", "the service is unavailable")
    await _deny(scope, send, 503, body, PROBLEM_JSON, retry_after=True)
    return 503


async def _pump(upstream_ws: ClientConnection, receive: Receive, send: Send) -> None:
    await send({"type": "websocket.accept", "subprotocol": upstream_ws.subprotocol, "headers": []})

    async def client_to_upstream() -> None:
        while True:
            event = await receive()
            if event["type"] == "websocket.receive":
                text, data = event.get("text"), event.get("bytes")
                await upstream_ws.send(text if text is not None else (data or b""))
            elif event["type"] == "websocket.disconnect":
                await upstream_ws.close(code=event.get("code", 1000) or 1000)
                return

    async def upstream_to_client() -> None:
        try:
            async for data in upstream_ws:
                if isinstance(data, str):
                    await send({"type": "websocket.send", "text": data})
                else:
                    await send({"type": "websocket.send", "bytes": data})
        except ConnectionClosed:
            pass
        code = upstream_ws.close_code or 1000
        reason = upstream_ws.close_reason or ""
        if code in (1005, 1006, 1015):
            # the replica vanished without a close frame (killed, crashed): these codes
            # never go on the wire; 1011 tells the client its server went away abruptly
            code, reason = 1011, "upstream_lost"
        with contextlib.suppress(Exception):
            await send({"type": "websocket.close", "code": code, "reason": reason})

    tasks = [asyncio.create_task(client_to_upstream()), asyncio.create_task(upstream_to_client())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await upstream_ws.close()


async def _deny(
    scope: Scope,
    send: Send,
    status: int,
    body: bytes,
    content_type: str | None,
    *,
    retry_after: bool = False,
) -> None:
    if "websocket.http.response" in (scope.get("extensions") or {}):
        headers = [(b"content-length", str(len(body)).encode())]
        if content_type:
            headers.append((b"content-type", content_type.encode()))
        if retry_after:
            headers.append((b"retry-after", b"1"))
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body, "more_body": False})
    else:
        code = 1013 if status == 503 else 1011 if status >= 500 else 1008
        await send({"type": "websocket.close", "code": code, "reason": ""})
