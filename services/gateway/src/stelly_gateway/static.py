"""``/*``: the web app's build when there is one, else a landing page."""

from __future__ import annotations

import asyncio
import html
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stelly_gateway.asgi import Send

__all__ = ["serve_static"]

_DEMOS = ("pizza", "burger")


def _landing(host: str) -> bytes:
    port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
    suffix = f":{port}" if port else ""
    links = "".join(
        f'<li><a href="http://{d}.localhost{suffix}/api/v1/store/menu">{d}</a></li>' for d in _DEMOS
    )
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Stelly</title>"
        "<h1>Stelly</h1><p>The web app is not built. Demo tenants:</p>"
        f"<ul>{links}</ul><p><small>{html.escape(host)}</small></p></html>"
    ).encode()


def _load(dist: Path | None, path: str, host: str) -> tuple[bytes, str, str]:
    content_type = "text/html; charset=utf-8"
    cache = "no-cache"
    if dist is not None and (dist / "index.html").is_file():
        root = dist.resolve()
        candidate = (root / path.lstrip("/")).resolve()
        if candidate.is_file() and candidate.is_relative_to(root):
            content_type = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
            if "/assets/" in path:
                cache = "public, max-age=31536000, immutable"
            return candidate.read_bytes(), content_type, cache
        return (root / "index.html").read_bytes(), content_type, cache
    return _landing(host), content_type, cache


async def serve_static(dist: Path | None, path: str, host: str, send: Send) -> int:
    """Serve a file of the web build, its ``index.html`` for app routes, or the landing page."""
    body, content_type, cache = await asyncio.to_thread(_load, dist, path, host)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", cache.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return 200
