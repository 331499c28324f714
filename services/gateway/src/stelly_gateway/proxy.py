"""Streaming HTTP and WebSocket proxying to one upstream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import aiohttp
import websockets
import yarl
from multidict import CIMultiDict
from stelly_core.errors import PROBLEM_JSON, problem_body
from websockets.exceptions import ConnectionClosed, InvalidStatus

from stelly_gateway.headers import upstream_response_headers

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from stelly_gateway.asgi import Receive, Scope, Send

__all__ = ["proxy_http", "proxy_websocket", "send_problem"]

_log = logging.getLogger("stelly.gateway")
# The edge forwards the client's headers as they are; aiohttp adds none of its own.
_NO_AUTO_HEADERS = frozenset({"User-Agent", "Content-Type", "Accept", "Accept-Encoding"})


async def send_problem(send: Send, status: int, code: str, detail: str, request_id: str) -> None:
    """Answer with problem details (502/504 and the like)."""
    body = problem_body(status, code, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _request_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("client went away")
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def proxy_http(
    session: aiohttp.ClientSession,
    upstream: str,
    scope: Scope,
    receive: Receive,
    send: Send,
    headers: list[tuple[str, str]],
    request_id: str,
) -> int:
    """Stream one request to ``upstream`` and its response back.

    Returns:
        The status sent to the client.
    """
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    url = upstream + raw_path.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")
    has_body = any(k in ("content-length", "transfer-encoding") for k, _ in headers)
    try:
        async with session.request(
            scope["method"],
            yarl.URL(url, encoded=True),
            headers=CIMultiDict(headers),
            data=_request_body(receive) if has_body else None,
            allow_redirects=False,
            skip_auto_headers=_NO_AUTO_HEADERS,
        ) as response:
            out_headers = upstream_response_headers(response.raw_headers)
            out_headers.append((b"x-request-id", request_id.encode()))
            await send(
                {"type": "http.response.start", "status": response.status, "headers": out_headers}
            )
            try:
                async for chunk in response.content.iter_any():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except (aiohttp.ClientError, TimeoutError) as exc:
                _log.warning("upstream %s broke off its response: %s", upstream, exc)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return response.status
    except (TimeoutError, aiohttp.ServerTimeoutError):
        await send_problem(
            send, 504, "upstream_timeout", "the service did not answer in time", request_id
        )
        return 504
    except (aiohttp.ClientError, ConnectionAbortedError, OSError) as exc:
        _log.warning("upstream %s failed: %s", upstream, exc)
        await send_problem(
            send, 502, "upstream_unavailable", "the service is unavailable", request_id
        )
        return 502


async def proxy_websocket(
    upstream: str,
    scope: Scope,
    receive: Receive,
    send: Send,
    headers: list[tuple[str, str]],
    open_timeout: float,
) -> int:
    """Accept the client's WebSocket only once the upstream accepted, then pump both ways.

    Close codes cross in both directions (1012, 1013 and the rest).

    Returns:
        101 when proxied, else the refusal status.
    """
    message = await receive()
    if message["type"] != "websocket.connect":
        return 400
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    url = "ws" + upstream.removeprefix("http") + raw_path.decode("latin-1")
    if query:
        url += "?" + query.decode("latin-1")
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
        await _deny(
            scope,
            send,
            status,
            bytes(exc.response.body or b""),
            exc.response.headers.get("content-type"),
        )
        return status
    except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
        body = problem_body(502, "upstream_unavailable", "the service is unavailable")
        await _deny(scope, send, 502, body, PROBLEM_JSON)
        return 502
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
    return 101


async def _deny(
    scope: Scope, send: Send, status: int, body: bytes, content_type: str | None
) -> None:
    if "websocket.http.response" in (scope.get("extensions") or {}):
        headers = [(b"content-length", str(len(body)).encode())]
        if content_type:
            headers.append((b"content-type", content_type.encode()))
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body, "more_body": False})
    else:
        await send(
            {"type": "websocket.close", "code": 1011 if status >= 500 else 1008, "reason": ""}
        )
