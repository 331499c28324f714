"""Streaming HTTP proxying to an origin's replicas, with safe retries.

Invariants:
- A request goes to the replica :meth:`Origin.choose` picks; a failed
  connect takes that replica out of rotation at once.
- An attempt that failed before any response byte reached the client is
  retried on another replica when resending cannot do harm: GET, HEAD or a
  request with ``Idempotency-Key`` whose body was buffered; and any request
  whose connection was never established and whose body was not yet read
  (nothing reached a replica). Everything else (a streaming upload without
  the header that a replica may have received) is tried once.
- At most :data:`MAX_ATTEMPTS` attempts; a short pause only once every
  replica was tried. When all failed: 503 ``upstream_unavailable`` with
  ``Retry-After: 1``. A replica that took too long to answer is 504.
- Bodies stream both ways; only a retryable body up to 1 MiB is buffered.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import aiohttp
import yarl
from multidict import CIMultiDict
from stelly_core.errors import PROBLEM_JSON, problem_body

from stelly_gateway.body import read_request_body
from stelly_gateway.headers import upstream_response_headers

if TYPE_CHECKING:
    from stelly_gateway.asgi import Receive, Scope, Send
    from stelly_gateway.body import RequestBody
    from stelly_gateway.replicas import Origin, Replica

__all__ = ["MAX_ATTEMPTS", "RETRY_PAUSE", "proxy_http", "send_problem", "send_unavailable"]

_log = logging.getLogger("stelly.gateway")
# The edge forwards the client's headers as they are; aiohttp adds none of its own.
_NO_AUTO_HEADERS = frozenset({"User-Agent", "Content-Type", "Accept", "Accept-Encoding"})
_RETRYABLE_METHODS = frozenset({"GET", "HEAD"})

MAX_ATTEMPTS = 4
RETRY_PAUSE = 0.25


async def send_problem(
    send: Send,
    status: int,
    code: str,
    detail: str,
    request_id: str,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer with problem details (503/504 and the like)."""
    body = problem_body(status, code, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
                *(extra_headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_unavailable(send: Send, request_id: str) -> int:
    """The answer when no replica could take the request: 503 with ``Retry-After``."""
    await send_problem(
        send,
        503,
        "upstream_unavailable",
        "the service is unavailable",
        request_id,
        [(b"retry-after", b"1")],
    )
    return 503


class _AttemptFailed(Exception):
    """An attempt failed before the response started; ``retryable`` says if resending is safe."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


async def proxy_http(
    session: aiohttp.ClientSession,
    origin: Origin,
    scope: Scope,
    receive: Receive,
    send: Send,
    headers: list[tuple[str, str]],
    request_id: str,
) -> int:
    """Send one request to a replica of ``origin`` (another one if that is safe) and
    stream its response back.

    Returns:
        The status sent to the client (499 when the client went away first).
    """
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    target = raw_path.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")
    lengths = [v for k, v in headers if k == "content-length"]
    has_body = bool(lengths) or any(k == "transfer-encoding" for k, _ in headers)
    idempotent = scope["method"] in _RETRYABLE_METHODS or any(
        k == "idempotency-key" for k, _ in headers
    )
    try:
        content_length = int(lengths[0]) if lengths else None
    except ValueError:
        content_length = None
    try:
        body = (
            await read_request_body(receive, buffer=idempotent, content_length=content_length)
            if has_body
            else None
        )
    except ConnectionAbortedError:
        return 499
    tried: set[Replica] = set()
    for _ in range(MAX_ATTEMPTS):
        replica = origin.choose(tried)
        if replica is None and tried:
            await asyncio.sleep(RETRY_PAUSE)  # every replica failed once: give them a moment
            tried.clear()
            replica = origin.choose(tried)
        if replica is None:
            break
        tried.add(replica)
        try:
            with replica.in_use():
                return await _attempt(
                    session, replica, scope, target, send, headers, body, request_id
                )
        except _AttemptFailed as failed:
            safe = failed.retryable or (idempotent and (body is None or body.replayable))
            if not safe:
                _log.warning(
                    "%s %s failed on %s, not retried: %s",
                    scope["method"],
                    scope["path"],
                    replica.url,
                    failed,
                )
                break
            _log.info(
                "%s %s failed on %s, retrying: %s",
                scope["method"],
                scope["path"],
                replica.url,
                failed,
            )
        except ConnectionAbortedError:
            return 499
    return await send_unavailable(send, request_id)


async def _attempt(
    session: aiohttp.ClientSession,
    replica: Replica,
    scope: Scope,
    target: str,
    send: Send,
    headers: list[tuple[str, str]],
    body: RequestBody | None,
    request_id: str,
) -> int:
    """One try on one replica.

    Raises:
        _AttemptFailed: when no response started (``retryable`` if nothing was sent).
        ConnectionAbortedError: when the client went away.
    """
    try:
        response = await session.request(
            scope["method"],
            yarl.URL(replica.url + target, encoded=True),
            headers=CIMultiDict(headers),
            data=body.data() if body is not None else None,
            allow_redirects=False,
            skip_auto_headers=_NO_AUTO_HEADERS,
        )
    except aiohttp.ConnectionTimeoutError as exc:
        replica.mark_down("connect timed out")
        raise _AttemptFailed(f"connect timed out: {exc}", retryable=_unread(body)) from exc
    except (TimeoutError, aiohttp.ServerTimeoutError):
        await send_problem(
            send, 504, "upstream_timeout", "the service did not answer in time", request_id
        )
        return 504
    except aiohttp.ClientConnectorError as exc:
        replica.mark_down(f"connect failed: {exc.os_error}")
        raise _AttemptFailed(f"connect failed: {exc}", retryable=_unread(body)) from exc
    except (aiohttp.ClientError, OSError) as exc:
        if isinstance(exc.__cause__, ConnectionAbortedError) or isinstance(
            exc, ConnectionAbortedError
        ):
            raise ConnectionAbortedError("client went away") from exc
        raise _AttemptFailed(f"{type(exc).__name__}: {exc}", retryable=False) from exc
    try:
        out_headers = upstream_response_headers(response.raw_headers)
        out_headers.append((b"x-request-id", request_id.encode()))
        await send(
            {"type": "http.response.start", "status": response.status, "headers": out_headers}
        )
        try:
            async for chunk in response.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except (aiohttp.ClientError, TimeoutError) as exc:
            _log.warning("upstream %s broke off its response: %s", replica.url, exc)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return response.status
    finally:
        response.release()


def _unread(body: RequestBody | None) -> bool:
    """Whether no byte of the body has been taken from the client yet."""
    return body is None or body.replayable or not body.started
