"""The web build served by the gateway by the rules of its ``staticwebapp.config.json``.

A real gateway process serves a temporary build holding ``index.html``, a
hashed asset and the web app's real config file, so that what is tested is
what ships to Azure Static Web Apps.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from stelly_core.localstack import free_port
from stelly_gateway.swa_config import (
    CONFIG_FILE,
    glob_to_regex,
    load_site_config,
    realtime_origin,
    render_placeholders,
)

from .conftest import Processes

REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "web" / "public" / CONFIG_FILE
INDEX = b"<!doctype html><title>Stelly app</title><div id=root></div>"
FDID = "fd-static-test-0001"
AZURITE = "http://127.0.0.1:10999"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "x.js").write_bytes(b"console.log(1)")
    shutil.copy(SHIPPED, root / CONFIG_FILE)
    return root


@pytest.fixture
def gateway(processes: Processes, dist: Path) -> str:
    dead = f"http://127.0.0.1:{free_port()}"
    return processes.gateway(
        {
            "STELLY_WEB_DIST": str(dist),
            "STELLY_FRONTDOOR_ID": FDID,
            "STELLY_MENU_URL": dead,
            "STELLY_REALTIME_URL": dead,
            "STELLY_MEDIA_URL": dead,
            "STELLY_ASSETS_BASE_URL": f"{AZURITE}/devstoreaccount1/stelly-assets",
            "STELLY_REALTIME_PUBLIC_URL": "wss://{slug}.rt.example.net/ws/v1",
        }
    ).url


def _assert_security_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == f"'self' data: {AZURITE}"
    assert directives["connect-src"] == "'self' wss://*.rt.example.net"
    assert directives["frame-ancestors"] == "'none'"
    assert "${" not in csp
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/order/42", "/admin/menu", "/", "/api/docs", "/api/docs/"])
def test_app_routes_answer_index_html_with_the_headers(gateway: str, path: str) -> None:
    response = httpx.get(gateway + path, headers={"host": "pizza.localhost"})
    assert response.status_code == 200
    assert response.content == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    _assert_security_headers(response)


def test_hashed_assets_are_cached_for_good(gateway: str) -> None:
    response = httpx.get(gateway + "/assets/x.js")
    assert response.status_code == 200
    assert response.content == b"console.log(1)"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    _assert_security_headers(response)


@pytest.mark.parametrize(
    "path", ["/assets/missing.js", "/favicon.ico", "/staticwebapp.config.json"]
)
def test_missing_files_are_404_not_the_app(gateway: str, path: str) -> None:
    response = httpx.get(gateway + path)
    assert response.status_code == 404
    assert response.content != INDEX
    _assert_security_headers(response)


def test_the_api_is_not_swallowed_by_the_fallback(gateway: str) -> None:
    response = httpx.get(gateway + "/api/v1/store", headers={"host": "pizza.localhost"})
    assert response.status_code == 503  # the menu service (down here), not index.html
    assert response.headers["content-type"] == "application/problem+json"
    assert response.content != INDEX


def test_a_rebuilt_config_is_read_again(gateway: str, dist: Path) -> None:
    config = json.loads((dist / CONFIG_FILE).read_text())
    config["globalHeaders"]["Referrer-Policy"] = "no-referrer"
    (dist / CONFIG_FILE).write_text(json.dumps(config))
    response = httpx.get(gateway + "/order/7")
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_shipped_config_requires_the_front_door_id(dist: Path) -> None:
    env = {"STELLY_FRONTDOOR_ID": FDID, "STELLY_BASE_DOMAIN": "stelly.example"}
    config = load_site_config(dist / CONFIG_FILE, env)
    assert config.required_headers == {"X-Azure-FDID": FDID}
    raw = json.loads(SHIPPED.read_text())
    assert raw["forwardingGateway"]["allowedForwardedHosts"] == [
        "${STELLY_BASE_DOMAIN}",
        "*.${STELLY_BASE_DOMAIN}",
    ]
    assert set(raw["navigationFallback"]["exclude"]) >= {"/api/*", "/ws/*", "/assets/*"}


def test_without_an_assets_origin_images_are_same_origin_only(dist: Path) -> None:
    config = load_site_config(dist / CONFIG_FILE, {"STELLY_PORT": "8080"})
    csp = dict(config.global_headers)["Content-Security-Policy"]
    assert "img-src 'self' data:;" in csp
    assert "connect-src 'self';" in csp


@pytest.mark.parametrize(
    ("template", "port", "source"),
    [
        ("ws://{host}:8080/ws/v1", 8080, ""),  # the page's own origin: 'self'
        ("wss://{host}/ws/v1", 443, ""),
        ("ws://{host}:9000/ws/v1", 8080, "ws://*:9000"),
        ("wss://{slug}.rt.example.net/ws/v1", None, "wss://*.rt.example.net"),
        ("wss://realtime.example.net/ws/v1", None, "wss://realtime.example.net"),
        ("wss://rt-{slug}.example.net/ws/v1", None, "wss:"),
        ("not a url", None, ""),
    ],
)
def test_realtime_origin(template: str, port: int | None, source: str) -> None:
    assert realtime_origin(template, port) == source


def test_globs_and_placeholders() -> None:
    assets = glob_to_regex("/*.{js,css}")
    assert assets.fullmatch("/a/b.js") and assets.fullmatch("/x.css")
    assert not assets.fullmatch("/order/42")
    assert glob_to_regex("/api/*").fullmatch("/api/v1/store")
    assert not glob_to_regex("/api/*").fullmatch("/apix")
    assert render_placeholders("a ${X} b ${Y};", {"X": "x"}) == "a x b;"
    assert render_placeholders("no  placeholders", {}) == "no  placeholders"
