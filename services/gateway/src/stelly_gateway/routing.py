"""The routing table (``infra/routing.json``) as plain data and a matcher.

A route may name ``hosts`` (``console.*``: any host whose first label is
``console``; or an exact host): it then matches only requests for those
hosts, and for them it wins over every route without hosts. Within each
group the longest matching prefix wins. Front Door does the same by
attaching host-bound routes to that host's custom domain only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Route", "RoutingTable", "default_table_path", "load_routing_table"]


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    prefix: str
    origin: str
    websockets: bool = False
    #: host patterns this route is limited to (empty: every host)
    hosts: tuple[str, ...] = ()

    def serves_host(self, host: str) -> bool:
        """Whether a request for ``host`` (lower-case, no port) may take this route."""
        for pattern in self.hosts:
            if pattern.endswith(".*"):
                if host.startswith(pattern[:-1]):
                    return True
            elif host == pattern:
                return True
        return False


@dataclass(frozen=True, slots=True)
class RoutingTable:
    """Routes ordered most specific first, the origins' local URLs and health paths."""

    routes: tuple[Route, ...]
    origin_urls: dict[str, str]
    static_origins: frozenset[str]
    health_paths: dict[str, str] = field(default_factory=dict)

    def match(self, path: str, host: str | None = None) -> Route | None:
        """The most specific route for ``path`` on ``host`` (longest matching prefix).

        Routes bound to hosts come first for the hosts they name and never
        match any other host.
        """
        name = _bare_host(host) if host else ""
        fallback = None
        for route in self.routes:
            if not (path.startswith(route.prefix) or path == route.prefix.rstrip("/")):
                continue
            if route.hosts:
                if name and route.serves_host(name):
                    return route
            elif fallback is None:
                fallback = route
        return fallback


def _bare_host(host: str) -> str:
    """``Console.Localhost:8080`` → ``console.localhost``."""
    name = host.strip().lower()
    if not name.startswith("[") and name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    return name.rstrip(".")


def default_table_path() -> Path:
    """``infra/routing.json`` of this checkout (or ``STELLY_ROUTING_FILE``)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "infra" / "routing.json"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("infra/routing.json not found above " + str(here))


def load_routing_table(
    path: Path | None = None, overrides: dict[str, str] | None = None
) -> RoutingTable:
    """Read the routing table.

    Args:
        path: the JSON file; :func:`default_table_path` when omitted.
        overrides: origin name → base URL, replacing the table's local URLs.

    Returns:
        The table with routes sorted most specific first.
    """
    data = json.loads((path or default_table_path()).read_text())
    routes = []
    for entry in data["routes"]:
        for pattern in entry["patterns"]:
            if not pattern.endswith("/*"):
                raise ValueError(f"route pattern {pattern!r} must end with /*")
            hosts = tuple(str(h).lower() for h in entry.get("hosts", ()))
            routes.append(
                Route(
                    entry["name"],
                    pattern[:-1],
                    entry["origin"],
                    bool(entry.get("websockets")),
                    hosts,
                )
            )
    routes.sort(key=lambda r: len(r.prefix), reverse=True)
    origins = data["origins"]
    urls = {name: o["local_url"] for name, o in origins.items() if "local_url" in o}
    urls.update(overrides or {})
    static = frozenset(name for name, o in origins.items() if o.get("static"))
    health = {name: o.get("health", "/readyz") for name, o in origins.items() if name in urls}
    return RoutingTable(tuple(routes), urls, static, health)
