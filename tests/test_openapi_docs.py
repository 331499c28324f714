"""The committed OpenAPI documents and web types are what the services publish; ``/api/docs`` reaches the web app.

``scripts/openapi.py`` (``make openapi``) exports each service's document
in-process and runs ``openapi-typescript`` on it. Here the same export runs
in memory and into a temporary directory, and any difference from the files
in ``web/`` fails with a diff and the command that fixes it, so the web app
(type-checked against ``web/src/lib/api/*.ts``) cannot drift from the
services unnoticed. The rendered page itself is tested in Chromium by
``web/e2e/apidocs.e2e.mjs``.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from stelly_gateway.routing import load_routing_table

ROOT = Path(__file__).resolve().parents[1]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "stelly_openapi_script", ROOT / "scripts/openapi.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


OPENAPI = _script()


@pytest.fixture(scope="module")
def expected() -> dict[Path, str | None]:
    files: dict[Path, str | None] = OPENAPI.expected_files()[0]
    return files


def _diff(path: Path, expected: str | None) -> str | None:
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if current == expected:
        return None
    where = str(path.relative_to(ROOT))
    if expected is None:
        return f"{where}: committed, but the service publishes no document"
    if current is None:
        return f"{where}: missing"
    lines = difflib.unified_diff(
        current.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        fromfile=f"{where} (committed)",
        tofile=f"{where} (from the service)",
        n=2,
    )
    text = "".join(lines)
    return text if len(text) < 6000 else text[:6000] + "\n... (diff cut)\n"


def test_committed_documents_and_web_types_match_what_the_services_publish(
    expected: dict[Path, str | None],
) -> None:
    drift = [d for path, text in sorted(expected.items()) if (d := _diff(path, text))]
    assert not drift, (
        "the OpenAPI documents or the web app's generated types are out of date; "
        f"run `{OPENAPI.FIX_COMMAND}` and commit the result:\n\n" + "\n".join(drift)
    )


def test_every_service_publishes_a_document_the_types_come_from(
    expected: dict[Path, str | None],
) -> None:
    for service in OPENAPI.SERVICES:
        document = expected[service.document_path]
        assert document is not None, f"{service.name} publishes no OpenAPI document"
        parsed = json.loads(document)
        assert parsed["openapi"].startswith("3.")
        assert parsed["paths"], f"{service.name}'s document has no operations"
        assert "export interface paths {" in (expected[service.types_path] or "")


def test_the_export_is_stable_and_sorted(expected: dict[Path, str | None]) -> None:
    # a second export (a new app, a new example seed) gives the same bytes
    for service in OPENAPI.SERVICES:
        document = OPENAPI.export_document(service)
        assert document is not None
        text = OPENAPI.render_json(document)
        assert text == expected[service.document_path]
        assert (
            text
            == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )


def test_the_app_calls_operations_the_documents_have(expected: dict[Path, str | None]) -> None:
    menu = json.loads(expected[OPENAPI.SERVICES[0].document_path] or "{}")
    media = json.loads(expected[OPENAPI.SERVICES[1].document_path] or "{}")
    assert "post" in menu["paths"]["/api/v1/store/orders"]
    assert "get" in menu["paths"]["/api/v1/store/menu"]
    assert "patch" in menu["paths"]["/api/v1/admin/orders/{order_id}"]
    assert "post" in media["paths"]["/api/v1/media/images"]
    assert "get" in media["paths"]["/api/v1/media/images/{image_id}"]
    platform = json.loads(expected[OPENAPI.SERVICES[2].document_path] or "{}")
    assert "post" in platform["paths"]["/api/v1/platform/auth/token"]
    assert "get" in platform["paths"]["/api/v1/platform/tenants"]
    assert "post" in platform["paths"]["/api/v1/platform/tenants/{slug}/domains/{domain}/verify"]


def test_api_docs_go_to_the_web_app_and_the_rest_of_api_to_the_services() -> None:
    table = load_routing_table()
    for path in ("/api/docs", "/api/docs/", "/api/docs/menu"):
        route = table.match(path)
        assert route is not None and route.origin in table.static_origins, path
    for path, origin in {
        "/api/v1/store/menu": "menu",
        "/api/docsx": "menu",
        "/api/v1/media/images": "media",
        "/api/v1/platform/tenants": "menu",  # on a tenant's host: never the console
    }.items():
        route = table.match(path)
        assert route is not None and route.origin == origin, path
