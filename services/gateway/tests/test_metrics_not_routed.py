"""``/metrics`` is each service's own (SPEC §9): the routing table never sends it to one."""

from __future__ import annotations

import pytest
from stelly_gateway.routing import load_routing_table


@pytest.mark.parametrize("host", ["demo.localhost:8080", "console.localhost:8080", "shop.example"])
@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/healthz", "/readyz"])
def test_scrapes_and_probes_never_reach_a_service(host: str, path: str) -> None:
    table = load_routing_table()
    route = table.match(path, host)
    assert route is None or route.origin in table.static_origins, (host, path, route)
