"""``/*``: the web app's build when there is one, else a landing page.

The build is served as Azure Static Web Apps serves it, by the rules of its
own ``staticwebapp.config.json`` (:mod:`stelly_gateway.swa_config`): a
matching route's ``rewrite`` first, then the file, then the navigation
fallback unless the path is excluded from it (then 404). Every response from
the build carries the global headers, overridden by the matched route's.

Invariants: no file outside the build is ever read; the config file itself
is never served (Static Web Apps does not serve it either); the config is
re-read when its modification time changes, so a rebuild needs no restart.
A build without the file is served as before: index.html for every path
with no file behind it, assets cached for good, everything else revalidated.
"""

from __future__ import annotations

import asyncio
import html
import mimetypes
import os
from pathlib import Path
from typing import TYPE_CHECKING

from stelly_gateway.swa_config import CONFIG_FILE, SiteConfig, glob_to_regex, load_site_config

if TYPE_CHECKING:
    from stelly_gateway.asgi import Send
    from stelly_gateway.swa_config import RouteRule

__all__ = ["serve_static"]

_DEMOS = ("pizza", "burger")
_IMMUTABLE = "public, max-age=31536000, immutable"
# what the gateway did before the build shipped a config: kept for old builds
_NO_CONFIG = SiteConfig(
    fallback="/index.html",
    global_headers=(("Cache-Control", "no-cache"),),
)
_NO_CONFIG_ASSETS = glob_to_regex("*/assets/*")
_configs: dict[Path, tuple[int, SiteConfig]] = {}


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


def _site_config(root: Path) -> SiteConfig:
    path = root / CONFIG_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return _NO_CONFIG
    cached = _configs.get(root)
    if cached is None or cached[0] != mtime:
        cached = (mtime, load_site_config(path, os.environ))
        _configs[root] = cached
    return cached[1]


def _file(root: Path, path: str) -> Path | None:
    candidate = (root / path.lstrip("/")).resolve()
    if candidate.is_file() and candidate.is_relative_to(root) and candidate.name != CONFIG_FILE:
        return candidate
    return None


Response = tuple[int, bytes, str, list[tuple[str, str]]]


def _headers(config: SiteConfig, rule: RouteRule | None, path: str) -> list[tuple[str, str]]:
    headers = config.headers_for(rule)
    if config is _NO_CONFIG and _NO_CONFIG_ASSETS.fullmatch(path):
        headers = [("Cache-Control", _IMMUTABLE)]
    return headers


def _load(dist: Path | None, path: str, host: str) -> Response:
    html_type = "text/html; charset=utf-8"
    if dist is None or not (dist / "index.html").is_file():
        return 200, _landing(host), html_type, [("Cache-Control", "no-cache")]
    root = dist.resolve()
    config = _site_config(root)
    rule = config.route_for(path)
    headers = _headers(config, rule, path)
    found = _file(root, rule.rewrite if rule and rule.rewrite else path)
    if found is None and config.falls_back(path) and config.fallback:
        found = _file(root, config.fallback)
    if found is None:
        return 404, b"Not found", "text/plain; charset=utf-8", headers
    content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    if content_type == "text/html":
        content_type = html_type
    return 200, found.read_bytes(), content_type, headers


async def serve_static(dist: Path | None, path: str, host: str, send: Send) -> int:
    """Serve a file of the web build, the fallback document for app routes, or the landing page."""
    status, body, content_type, headers = await asyncio.to_thread(_load, dist, path, host)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                *((name.lower().encode(), value.encode()) for name, value in headers),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return status
