"""Routes bound to a host: the platform console (``console.*``) and everyone else.

The table is ``infra/routing.json`` itself; the process test runs the
gateway in front of echo upstreams standing in for menu and platform.
"""

from __future__ import annotations

import httpx
from stelly_gateway.routing import load_routing_table

from .conftest import Processes


def test_the_console_host_takes_its_own_routes() -> None:
    table = load_routing_table()
    for host in ("console.localhost", "Console.Localhost:8080", "console.stelly.com"):
        api = table.match("/api/v1/platform/tenants", host)
        assert api is not None and api.origin == "platform", host
        page = table.match("/tenants/pizza", host)
        assert page is not None and page.origin in table.static_origins, host
        # the console host never reaches a tenant service
        store = table.match("/api/v1/store/menu", host)
        assert store is not None and store.origin in table.static_origins, host


def test_other_hosts_never_reach_the_platform() -> None:
    table = load_routing_table()
    for host in ("pizza.localhost", "consoles.localhost", "shop.example.com", None):
        route = table.match("/api/v1/platform/tenants", host)
        assert route is not None and route.origin == "menu", host
        page = table.match("/", host)
        assert page is not None and page.name == "web", host
    media = table.match("/api/v1/media/images", "pizza.localhost")
    assert media is not None and media.origin == "media"


def test_the_gateway_sends_the_console_to_the_platform(processes: Processes) -> None:
    menu = processes.upstream("menu")
    platform = processes.upstream("platform")
    gateway = processes.gateway({"STELLY_MENU_URL": menu.url, "STELLY_PLATFORM_URL": platform.url})
    with httpx.Client(base_url=gateway.url, timeout=10) as client:
        console = client.get("/api/v1/platform/tenants", headers={"host": "console.localhost:8080"})
        assert console.status_code == 200, console.text
        assert console.json()["name"] == "platform"
        # the platform reads the console host as a tenant service reads a tenant's
        assert console.json()["headers"]["x-tenant-host"] == "console.localhost"
        tenant = client.get("/api/v1/platform/tenants", headers={"host": "pizza.localhost"})
        assert tenant.json()["name"] == "menu"
