"""Static checks of what cannot run here (no Azure, no bicep binary): infra/, azure.yaml, workflows.

The point of these tests: Front Door's routes and the Container Apps scale
rules are *loaded* by Bicep from the same two files that the local gateway
(``infra/routing.json``) and the load tests (``infra/scale.json``) read, so
they cannot drift; every file and setting the deployment names exists; and
checkov passes on infra/, the Dockerfiles and the workflows (each skip
carrying its reason where it is made).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from stelly_core.settings import ENV_VARIABLES
from stelly_gateway.routing import default_table_path, load_routing_table

ROOT = Path(__file__).resolve().parents[1]
INFRA = ROOT / "infra"
BICEP = sorted(INFRA.rglob("*.bicep"))
AZURE_YAML = yaml.safe_load((ROOT / "azure.yaml").read_text())
ROUTING = json.loads((INFRA / "routing.json").read_text())
SCALE = json.loads((INFRA / "scale.json").read_text())
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
DOCKERFILES = [*sorted(ROOT.glob("services/*/Dockerfile")), ROOT / "cli" / "Dockerfile"]
CHECKOV = "checkov==3.3.30"


def _loadtest_scale() -> ModuleType:
    """``loadtests/scale.py``, the load tests' reader (stdlib only, no locust needed)."""
    spec = importlib.util.spec_from_file_location("loadtests_scale", ROOT / "loadtests/scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _bicep_text() -> str:
    return "\n".join(path.read_text() for path in BICEP)


def _loaded_json(path: Path) -> list[Path]:
    return [
        (path.parent / name).resolve()
        for name in re.findall(r"loadJsonContent\('([^']+)'\)", path.read_text())
    ]


def test_bicep_loads_the_routing_table_the_gateway_reads() -> None:
    main = INFRA / "main.bicep"
    assert default_table_path().resolve() in _loaded_json(main)
    # The parsed table is handed whole to the Front Door module, which loops over it.
    assert re.search(r"^\s*routing: routing$", main.read_text(), re.M)
    frontdoor = (INFRA / "modules" / "frontdoor.bicep").read_text()
    assert "[for route in routing.routes:" in frontdoor
    assert "patternsToMatch: route.patterns" in frontdoor
    assert "items(routing.origins)" in frontdoor
    # Every origin of the table, and only those, gets a host in main.bicep.
    block = re.search(r"originHosts: \{(.*?)\n    \}", main.read_text(), re.S)
    assert block is not None
    assert set(re.findall(r"^\s*(\w+):", block.group(1), re.M)) == set(ROUTING["origins"])


def test_bicep_loads_the_scale_rules_the_load_tests_read() -> None:
    main = INFRA / "main.bicep"
    scale = _loadtest_scale()
    assert scale.default_scale_path().resolve() in _loaded_json(main)
    assert "scaleSettings: scale.services[app.service]" in main.read_text()
    app = (INFRA / "modules" / "container-app.bicep").read_text()
    assert "minReplicas: replicas.min" in app
    assert "maxReplicas: replicas.max" in app
    assert "rules: [ruleByType[rule.type]]" in app


def test_gateway_and_load_tests_parse_the_same_files() -> None:
    table = load_routing_table()
    assert {(r.prefix + "*", r.origin) for r in table.routes} == {
        (pattern, route["origin"]) for route in ROUTING["routes"] for pattern in route["patterns"]
    }
    rules = _loadtest_scale().load_scale_rules()
    assert set(rules) == set(SCALE["services"])
    for name, entry in SCALE["services"].items():
        assert rules[name].rule.type == entry["rule"]["type"]
        assert rules[name].bounds("prod") == (
            entry["replicas"]["prod"]["min"],
            entry["replicas"]["prod"]["max"],
        )


def test_the_replica_model_follows_the_keda_formula() -> None:
    scale = _loadtest_scale()
    assert scale.desired_replicas(0, 50, 0, 10) == 0
    assert scale.desired_replicas(0, 50, 1, 10) == 1
    assert scale.desired_replicas(120, 50, 1, 10) == 3
    assert scale.desired_replicas(5000, 50, 1, 10) == 10
    # Out at once, in only after the figure has held for the cooldown.
    replicas = scale.replay([100, 600, 0, 0, 0], 50, 1, 10, cooldown_seconds=45)
    assert replicas == [2, 10, 10, 10, 1]


def test_no_route_pattern_or_replica_count_is_written_in_bicep() -> None:
    text = _bicep_text()
    for route in ROUTING["routes"]:
        for pattern in route["patterns"]:
            assert f"'{pattern}'" not in text, f"route pattern {pattern} written in Bicep"
    for key in ("minReplicas", "maxReplicas", "concurrentRequests", "messageCount"):
        assert not re.search(rf"{key}:\s*'?\d", text), f"{key} is a literal in Bicep"
    assert "'media-jobs'" not in text, "the queue name comes from scale.json"


def test_every_scaled_service_is_deployed_and_the_scale_rules_are_sane() -> None:
    container_apps = {n for n, s in AZURE_YAML["services"].items() if s["host"] == "containerapp"}
    assert container_apps == set(SCALE["services"])
    media_queue = (ROOT / "services/media/src/stelly_media/jobs/servicebus.py").read_text()
    for name, entry in SCALE["services"].items():
        assert entry["$comment"], f"{name}: say why this rule"
        assert set(entry["replicas"]) == {"dev", "prod"}
        for bounds in entry["replicas"].values():
            assert 0 <= bounds["min"] <= bounds["max"] and bounds["max"] >= 1
        if entry["rule"]["type"] == "azure-servicebus":
            assert f'QUEUE_NAME = "{entry["rule"]["queue"]}"' in media_queue
    # Open WebSockets are invisible to the HTTP rule (requests per window).
    assert SCALE["services"]["realtime"]["rule"]["type"] != "http"
    assert SCALE["services"]["menu"]["rule"] == {"type": "http", "concurrent_requests": 50}
    assert SCALE["services"]["menu"]["replicas"]["prod"] == {"min": 1, "max": 10}
    assert SCALE["services"]["menu"]["replicas"]["dev"]["min"] == 0


def test_azure_yaml_names_only_services_and_dockerfiles_that_exist() -> None:
    services: dict[str, Any] = AZURE_YAML["services"]
    assert set(services) == {"menu", "realtime", "media", "media-worker", "web"}
    assert "gateway" not in services, "Front Door replaces the gateway in Azure"
    for name, service in services.items():
        if service["host"] != "containerapp":
            continue
        project = ROOT / service["project"]
        assert (project / "pyproject.toml").is_file(), name
        assert (project / service["docker"]["path"]).is_file(), name
        assert (project / service["docker"]["context"]).resolve() == ROOT, name
    assert (INFRA / f"{AZURE_YAML['infra']['module']}.bicep").is_file()
    assert (INFRA / "main.parameters.json").is_file()
    assert (INFRA / "abbreviations.json").is_file()


def test_azure_yaml_web_entry_points_at_the_web_app() -> None:
    web = AZURE_YAML["services"]["web"]
    assert web["host"] == "staticwebapp"
    if not (ROOT / web["project"] / "package.json").is_file():
        pytest.skip("web/ has not landed in this checkout yet (built by another issue)")
    scripts = json.loads((ROOT / web["project"] / "package.json").read_text()).get("scripts", {})
    assert "build" in scripts


def test_every_setting_bicep_writes_is_a_real_setting() -> None:
    written = set(re.findall(r"name: '((?:STELLY|KZ)_[A-Z0-9_]+)'", _bicep_text()))
    assert written, "no settings found in Bicep"
    assert written <= set(ENV_VARIABLES), written - set(ENV_VARIABLES)
    assert {"STELLY_FRONTDOOR_ID", "KZ_SECRET_KEY", "STELLY_DATABASE_AUTH"} <= written


def test_no_secret_is_written_in_configuration() -> None:
    main = (INFRA / "main.bicep").read_text()
    assert "{ name: 'KZ_SECRET_KEY', secretRef: 'kz-secret-key' }" in main
    assert "{ name: 'STELLY_REDIS_URL', secretRef: 'redis-url' }" in main
    assert "{ name: 'STELLY_DATABASE_AUTH', value: 'entra' }" in main
    text = _bicep_text()
    assert "adminUserEnabled: false" in text
    assert "disableLocalAuth: true" in text
    assert "allowSharedKeyAccess: false" in text
    assert "passwordAuth: 'Disabled'" in text
    assert "CONNECTION_STRING" not in text


def test_every_app_module_is_tagged_with_its_azd_service_name() -> None:
    app = (INFRA / "modules" / "container-app.bicep").read_text()
    assert "union(tags, { 'azd-service-name': serviceName })" in app
    assert "'/healthz'" in app and "'/readyz'" in app
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    main = (INFRA / "main.bicep").read_text()
    for name in parameters:
        assert re.search(rf"^param {name} ", main, re.M), f"{name} is not a parameter"


def test_outputs_are_upper_snake() -> None:
    outputs = re.findall(r"^output (\w+) ", (INFRA / "main.bicep").read_text(), re.M)
    assert outputs
    for name in outputs:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), name


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_pins_actions_by_sha_with_least_permissions(workflow: Path) -> None:
    data = yaml.safe_load(workflow.read_text())
    assert data["permissions"] == {"contents": "read"}
    uses = re.findall(r"uses:\s*(\S+)", workflow.read_text())
    for ref in uses:
        if ref.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{ref} is not pinned by SHA"
    for job in data["jobs"].values():
        extra = set((job.get("permissions") or {}).items()) - {("contents", "read")}
        assert extra <= {("id-token", "write")}, extra


def test_every_checkov_skip_gives_its_reason() -> None:
    files = [*BICEP, *WORKFLOWS, *DOCKERFILES]
    for path in files:
        for match in re.finditer(r"checkov:skip=([A-Z0-9_,]+)(.*)", path.read_text()):
            reason = match.group(2).lstrip(":").strip()
            assert len(reason) >= 20, f"{path}: {match.group(1)} needs a reason"


def _checkov(*args: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(ROOT / "scripts" / "uv.sh"), "tool", "run", "--from", CHECKOV, "checkov",
         "--skip-download", "--quiet", "--output", "json", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode not in (0, 1) or not result.stdout.strip().startswith(("{", "[")):
        if re.search(
            r"(?i)failed to fetch|error sending request|dns|connect|network", result.stderr
        ):
            pytest.skip(f"{CHECKOV} could not be downloaded: {result.stderr.strip()[-300:]}")
        raise AssertionError(f"checkov did not run: {result.stderr[-2000:]}")
    # One JSON document per scanned target, written one after another.
    reports: list[dict[str, Any]] = []
    decoder, text, at = json.JSONDecoder(), result.stdout.strip(), 0
    while at < len(text):
        document, at = decoder.raw_decode(text, at)
        reports += document if isinstance(document, list) else [document]
        while at < len(text) and text[at].isspace():
            at += 1
    return reports


def _assert_clean(reports: list[dict[str, Any]], frameworks: set[str]) -> None:
    assert {r["check_type"] for r in reports} == frameworks
    for report in reports:
        if "summary" not in report:  # an empty result for a framework with nothing to scan
            continue
        summary = report["summary"]
        failed = [
            f"{c['check_id']} {c['resource']} ({c['file_path']})"
            for c in report["results"]["failed_checks"]
        ]
        assert summary["failed"] == 0, failed
        assert summary["parsing_errors"] == 0, report["check_type"]
        assert summary["passed"] > 0, report["check_type"]


def test_checkov_passes_on_infra_and_workflows() -> None:
    reports = _checkov(
        "-d", "infra", "-d", ".github/workflows", "--framework", "bicep", "github_actions"
    )
    _assert_clean(reports, {"bicep", "github_actions"})


def test_checkov_passes_on_the_dockerfiles() -> None:
    files = [arg for path in DOCKERFILES for arg in ("-f", str(path.relative_to(ROOT)))]
    _assert_clean(_checkov(*files, "--framework", "dockerfile"), {"dockerfile"})


def test_bicep_creates_the_media_containers_public_variants_private_originals() -> None:
    from stelly_media.storage import CONTAINER, ORIGINALS_CONTAINER

    storage = (INFRA / "modules/storage.bicep").read_text()
    access = {}
    for var, name in re.findall(r"var (\w+Container) = '([\w-]+)'", storage):
        block = re.search(rf"name: {var}\n\s*properties: \{{\n\s*publicAccess: '(\w+)'", storage)
        assert block, f"no container resource for {var}"
        access[name] = block.group(1)
    assert access == {CONTAINER: "Blob", ORIGINALS_CONTAINER: "None"}
