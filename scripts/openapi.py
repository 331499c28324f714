"""Export the services' OpenAPI documents and the web app's types generated from them.

``make openapi`` runs this file; ``tests/test_openapi_docs.py`` calls
:func:`expected_files` and fails when the committed files differ from it.

Invariants:

- A document is built in-process from the service's own app factory with
  fixed settings (:data:`SETTINGS_ENVIRONMENT`): no network, no database, no
  lifespan, and nothing read from this machine's environment, so the output
  depends only on the code.
- The JSON is written with sorted keys, two-space indent and a final newline;
  the same code always gives the same bytes.
- The TypeScript is ``openapi-typescript`` (the exact version pinned in
  ``web/package.json``) run on that very JSON, never edited by hand.
- A service without an OpenAPI document (``openapi_config=None``) is skipped
  with a message, and its files are expected to be absent.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.serialization import encode_json, get_serializer
from stelly_core.settings import load_settings

__all__ = [
    "DOCUMENT_DIR",
    "ROOT",
    "SERVICES",
    "SETTINGS_ENVIRONMENT",
    "TYPES_DIR",
    "Service",
    "expected_files",
    "export_document",
    "generate_types",
    "main",
    "render_json",
]

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
#: Served by the gateway at ``/openapi/<service>.json`` (Vite copies ``public/``).
DOCUMENT_DIR = WEB / "public" / "openapi"
#: ``<service>.ts``: the generated ``paths`` / ``components`` types.
TYPES_DIR = WEB / "src" / "lib" / "api"
#: The environment the apps are built with: test settings, nothing else.
SETTINGS_ENVIRONMENT = {"STELLY_ENV": "test"}
FIX_COMMAND = "make openapi"


@dataclass(frozen=True, slots=True)
class Service:
    """A service whose OpenAPI document the web app is typed against."""

    name: str
    #: The module holding ``create_app(settings)``.
    app_module: str

    @property
    def document_path(self) -> Path:
        return DOCUMENT_DIR / f"{self.name}.json"

    @property
    def types_path(self) -> Path:
        return TYPES_DIR / f"{self.name}.ts"


SERVICES = (
    Service("menu", "stelly_menu.app"),
    Service("media", "stelly_media.app"),
    Service("platform", "stelly_platform.app"),
)


def export_document(service: Service) -> dict[str, Any] | None:
    """The OpenAPI document the service publishes, or ``None`` when it publishes none.

    The app is only constructed: its lifespan (database, Redis) never runs.
    The document is encoded with the app's own serializer, as Litestar does
    when it serves ``/schema/openapi.json``.
    """
    factory = importlib.import_module(service.app_module).create_app
    app: Litestar = factory(load_settings(SETTINGS_ENVIRONMENT))
    if app.openapi_config is None:
        return None
    encoded = encode_json(app.openapi_schema.to_schema(), get_serializer(app.type_encoders))
    document: dict[str, Any] = json.loads(encoded)
    return document


def render_json(document: dict[str, Any]) -> str:
    """The committed form of a document: sorted keys, stable bytes."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate_types(documents: dict[str, str]) -> dict[str, str]:
    """Run ``openapi-typescript`` (from ``web/node_modules``) on rendered documents.

    Args:
        documents: service name -> the document's JSON text.

    Returns:
        service name -> the generated TypeScript.

    Raises:
        RuntimeError: when the generator is not installed or fails.
    """
    if not (WEB / "node_modules" / "openapi-typescript").is_dir():
        raise RuntimeError(
            "openapi-typescript is not installed: run `npm --prefix web ci` (make test does)"
        )
    generated: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="stelly-openapi-") as tmp:
        for name, text in documents.items():
            source = Path(tmp) / f"{name}.json"
            target = Path(tmp) / f"{name}.ts"
            source.write_text(text, encoding="utf-8")
            command = [
                "npx", "--prefix", str(WEB), "--no", "openapi-typescript",
                str(source), "--output", str(target),
            ]  # fmt: skip
            done = subprocess.run(command, cwd=WEB, capture_output=True, text=True, check=False)  # noqa: S603
            if done.returncode != 0 or not target.is_file():
                raise RuntimeError(
                    f"openapi-typescript failed on {name}.json ({done.returncode}):\n"
                    + done.stdout
                    + done.stderr
                )
            generated[name] = target.read_text(encoding="utf-8")
    return generated


def expected_files() -> tuple[dict[Path, str | None], list[str]]:
    """Every file this script owns and the content it should have.

    Returns:
        path -> expected text (``None``: the file should not exist), and the
        messages about skipped services.
    """
    files: dict[Path, str | None] = {}
    notes: list[str] = []
    rendered: dict[str, str] = {}
    for service in SERVICES:
        document = export_document(service)
        if document is None:
            notes.append(f"{service.name}: no OpenAPI document (openapi_config=None), skipped")
            files[service.document_path] = None
            files[service.types_path] = None
            continue
        rendered[service.name] = render_json(document)
        files[service.document_path] = rendered[service.name]
    for name, text in generate_types(rendered).items():
        files[TYPES_DIR / f"{name}.ts"] = text
    return files, notes


def main(argv: list[str] | None = None) -> int:
    """Write the documents and the types (``--check``: only say what differs)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on drift")
    args = parser.parse_args(argv)
    files, notes = expected_files()
    for note in notes:
        print(note)
    stale = 0
    for path, text in files.items():
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale += 1
        where = path.relative_to(ROOT)
        if args.check:
            print(f"out of date: {where}")
        elif text is None:
            path.unlink()
            print(f"removed {where}")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {where}")
    if args.check and stale:
        print(f"{stale} file(s) out of date: run `{FIX_COMMAND}`")
        return 1
    if not stale:
        print("OpenAPI documents and web types are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
