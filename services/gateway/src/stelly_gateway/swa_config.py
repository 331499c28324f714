"""The web build's ``staticwebapp.config.json``, read as Azure Static Web Apps reads it.

The file ships in ``web/dist`` and is the one source of the static site's
behaviour: Static Web Apps applies it in Azure, the local gateway applies it
here (:mod:`stelly_gateway.static`), so a deep link that works locally works
in the cloud.

The subset understood is what the file uses: ``routes`` (``route`` globs,
``rewrite``, ``headers``), ``navigationFallback`` (``rewrite``, ``exclude``),
``globalHeaders`` and ``forwardingGateway``. Globs follow Static Web Apps:
``*`` matches any run of characters, ``/`` included, and ``{a,b}`` one of
the alternatives.

Invariants: ``${NAME}`` placeholders are replaced before anything else; a
placeholder with no value becomes nothing and the whitespace around it
collapses (a space before ``;`` too), so ``img-src 'self' ${STELLY_ASSETS_ORIGIN}`` stays a valid
directive with or without an assets origin. In Azure the deployment renders
the same placeholders (``render_placeholders``); Static Web Apps itself never
sees one. A route's header replaces a global header of the same name
(case-insensitively); an empty value removes it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = [
    "CONFIG_FILE",
    "RouteRule",
    "SiteConfig",
    "assets_origin",
    "glob_to_regex",
    "load_site_config",
    "placeholder_values",
    "realtime_origin",
    "render_placeholders",
]

CONFIG_FILE = "staticwebapp.config.json"
_PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")
_CSP_HOST = re.compile(r"^(\*\.)?[A-Za-z0-9.-]+$|^\*$")


@dataclass(frozen=True, slots=True)
class RouteRule:
    route: str
    pattern: re.Pattern[str]
    rewrite: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SiteConfig:
    routes: tuple[RouteRule, ...] = ()
    fallback: str | None = None
    fallback_exclude: tuple[re.Pattern[str], ...] = ()
    global_headers: tuple[tuple[str, str], ...] = ()
    required_headers: dict[str, str] = field(default_factory=dict)

    def route_for(self, path: str) -> RouteRule | None:
        """The first rule whose ``route`` matches (Static Web Apps stops at the first)."""
        return next((r for r in self.routes if r.pattern.fullmatch(path)), None)

    def falls_back(self, path: str) -> bool:
        """Whether a path with no file behind it gets the fallback document."""
        return self.fallback is not None and not any(
            p.fullmatch(path) for p in self.fallback_exclude
        )

    def headers_for(self, rule: RouteRule | None) -> list[tuple[str, str]]:
        """The global headers, overridden by the matched rule's."""
        merged = {name.lower(): (name, value) for name, value in self.global_headers}
        for name, value in rule.headers if rule else ():
            merged[name.lower()] = (name, value)
        return [(name, value) for name, value in merged.values() if value]


def glob_to_regex(glob: str) -> re.Pattern[str]:
    """A Static Web Apps route or exclude glob as an anchored regular expression."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "*":
            out.append(".*")
        elif char == "{" and "}" in glob[i:]:
            end = glob.index("}", i)
            out.append("(?:" + "|".join(re.escape(a) for a in glob[i + 1 : end].split(",")) + ")")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.IGNORECASE)


def render_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Replace each ``${NAME}`` with its value (nothing when unset) and collapse the spaces."""
    rendered = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)
    if rendered == text:
        return text
    return " ".join(rendered.split()).replace(" ;", ";")


def assets_origin(base_url: str) -> str:
    """The origin images load from: that of ``STELLY_ASSETS_BASE_URL``, or none (same origin)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def realtime_origin(template: str, page_port: int | None) -> str:
    """The CSP source for ``STELLY_REALTIME_PUBLIC_URL`` (a template with ``{host}``, ``{slug}``).

    Nothing when it names the page's own host and port (``'self'`` admits
    ``ws:``/``wss:`` to the page's origin); else the origin with the tenant
    parts as a leading ``*.`` wildcard, or the bare scheme when no CSP host
    pattern can express it.
    """
    match = re.match(r"^(wss?)://([^/?#]+)", template.strip())
    if match is None:
        return ""
    scheme, authority = match.groups()
    host, _, port = authority.partition(":")
    if host == "{host}" and (not port or (page_port is not None and port == str(page_port))):
        return ""
    host = re.sub(r"\{(host|slug)\}", "*", host)
    if not _CSP_HOST.match(host):
        return f"{scheme}:"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def placeholder_values(env: Mapping[str, str]) -> dict[str, str]:
    """The placeholders' values from the gateway's environment.

    ``STELLY_ASSETS_ORIGIN`` and ``STELLY_REALTIME_ORIGIN`` when set (what the
    Azure deployment sets), else derived from ``STELLY_ASSETS_BASE_URL`` and
    ``STELLY_REALTIME_PUBLIC_URL``, which the services already read.
    """
    port = env.get("STELLY_PORT", "8080")
    return {
        "STELLY_FRONTDOOR_ID": env.get("STELLY_FRONTDOOR_ID", ""),
        "STELLY_BASE_DOMAIN": env.get("STELLY_BASE_DOMAIN", "") or "localhost",
        "STELLY_ASSETS_ORIGIN": env.get("STELLY_ASSETS_ORIGIN")
        or assets_origin(env.get("STELLY_ASSETS_BASE_URL", "")),
        "STELLY_REALTIME_ORIGIN": env.get("STELLY_REALTIME_ORIGIN")
        or realtime_origin(
            env.get("STELLY_REALTIME_PUBLIC_URL", ""), int(port) if port.isdigit() else None
        ),
    }


def _render(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return render_placeholders(value, values)
    if isinstance(value, list):
        return [_render(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _render(v, values) for k, v in value.items()}
    return value


def _headers(raw: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in (raw or {}).items())


def load_site_config(path: Path, env: Mapping[str, str]) -> SiteConfig:
    """Read and render the file.

    Raises:
        ValueError: when it is not the JSON object Static Web Apps expects.
    """
    data = _render(json.loads(path.read_text()), placeholder_values(env))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a JSON object")
    routes = tuple(
        RouteRule(
            route=r["route"],
            pattern=glob_to_regex(r["route"]),
            rewrite=r.get("rewrite"),
            headers=_headers(r.get("headers")),
        )
        for r in data.get("routes", [])
    )
    fallback = data.get("navigationFallback") or {}
    rewrite = fallback.get("rewrite")
    return SiteConfig(
        routes=routes,
        fallback="/" + rewrite.lstrip("/") if rewrite else None,
        fallback_exclude=tuple(glob_to_regex(g) for g in fallback.get("exclude", [])),
        global_headers=_headers(data.get("globalHeaders")),
        required_headers=dict(
            _headers((data.get("forwardingGateway") or {}).get("requiredHeaders"))
        ),
    )
