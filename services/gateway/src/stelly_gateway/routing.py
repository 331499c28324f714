"""The routing table (``infra/routing.json``) as plain data and a matcher."""

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


@dataclass(frozen=True, slots=True)
class RoutingTable:
    """Routes ordered most specific first, the origins' local URLs and health paths."""

    routes: tuple[Route, ...]
    origin_urls: dict[str, str]
    static_origins: frozenset[str]
    health_paths: dict[str, str] = field(default_factory=dict)

    def match(self, path: str) -> Route | None:
        """The most specific route for ``path`` (longest matching prefix)."""
        for route in self.routes:
            if path.startswith(route.prefix) or path == route.prefix.rstrip("/"):
                return route
        return None


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
            routes.append(
                Route(entry["name"], pattern[:-1], entry["origin"], bool(entry.get("websockets")))
            )
    routes.sort(key=lambda r: len(r.prefix), reverse=True)
    origins = data["origins"]
    urls = {name: o["local_url"] for name, o in origins.items() if "local_url" in o}
    urls.update(overrides or {})
    static = frozenset(name for name, o in origins.items() if o.get("static"))
    health = {name: o.get("health", "/readyz") for name, o in origins.items() if name in urls}
    return RoutingTable(tuple(routes), urls, static, health)
