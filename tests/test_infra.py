"""Static checks of what cannot run here (no Azure, no bicep binary): infra/, azure.yaml, workflows.

The point of these tests: Front Door's routes and the Container Apps scale
rules are *loaded* by Bicep from the same two files that the local gateway
(``infra/routing.json``) and the load tests (``infra/scale.json``) read, so
they cannot drift; every file and setting the deployment names exists; a
replica that Container Apps stops drains inside its grace period (the
timings are parsed from the Bicep and read back through the services' own
settings); and checkov passes on infra/, the Dockerfiles and the workflows
(each skip carrying its reason where it is made).
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from stelly_core.settings import ENV_VARIABLES, load_settings
from stelly_core.telemetry.settings import TELEMETRY_VARIABLES
from stelly_gateway.routing import default_table_path, load_routing_table
from stelly_platform.config import PLATFORM_VARIABLES
from stelly_realtime.config import CLOSE_WINDOW_VARIABLE, RealtimeConfig

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # infra_check/ is a top-level directory, like chaos/

from infra_check.checkov import (  # noqa: E402
    INFRA_ARGS,
    CheckovBroken,
    CheckovUnavailable,
    failures,
    run_checkov,
)

INFRA = ROOT / "infra"
BICEP = sorted(INFRA.rglob("*.bicep"))
AZURE_YAML = yaml.safe_load((ROOT / "azure.yaml").read_text())
ROUTING = json.loads((INFRA / "routing.json").read_text())
SCALE = json.loads((INFRA / "scale.json").read_text())
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
DOCKERFILES = [*sorted(ROOT.glob("services/*/Dockerfile")), ROOT / "cli" / "Dockerfile"]
MAIN_BICEP = (INFRA / "main.bicep").read_text()
APP_BICEP = (INFRA / "modules" / "container-app.bicep").read_text()
#: Seconds from a replica's readiness turning to Not Ready until the Container
#: Apps ingress stops routing to it: an assumption (no published figure, and
#: nothing here runs in Azure), stated in infra/README.md.
INGRESS_PROPAGATION_SECONDS = 5
#: What a grace period holds beyond drain + close window + shutdown: the
#: lifespan shutdown, which uvicorn's graceful-shutdown timeout does not bound.
STOP_MARGIN_SECONDS = 5
#: What Microsoft.App/containerApps@2025-01-01 takes in a probe (its REST type
#: definition documents these ranges in its descriptions): property -> (min, max).
PROBE_API_BOUNDS = {
    "failureThreshold": (1, 10),
    "periodSeconds": (1, 240),
    "successThreshold": (1, 10),
    "timeoutSeconds": (1, 240),
    "initialDelaySeconds": (1, 60),
}


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


def _bicep_scalar(value: str) -> Any:
    value = value.strip()
    if value in ("true", "false"):
        return value == "true"
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if re.fullmatch(r"'[^']*'", value):
        return value[1:-1]
    return value  # an expression, kept as written (e.g. targetPort)


def _bicep_flat_object(body: str) -> dict[str, Any]:
    """``a: 1, b: 'x'`` (one line, no nested objects) as a dict."""
    return {
        key.strip("'"): _bicep_scalar(value)
        for key, value in re.findall(r"('?[\w-]+'?):\s*([^,{}\[\]]+?)\s*(?:,|$)", body.strip())
    }


def _apps() -> dict[str, dict[str, Any]]:
    """main.bicep's ``apps``: service -> its port and whether it has ingress."""
    block = re.search(r"^var apps = \[\n(.*?)^\]", MAIN_BICEP, re.S | re.M)
    assert block is not None
    apps = {}
    for line in block.group(1).splitlines():
        fields = _bicep_flat_object(re.sub(r"\[[^\]]*\]", "''", line.strip().strip("{}")))
        apps[fields["service"]] = fields
    return apps


def _stop_times() -> dict[str, dict[str, int]]:
    """main.bicep's ``stopTimes``: service -> drain, closeWindow, shutdown, grace."""
    block = re.search(r"^var stopTimes = \{\n(.*?)^\}", MAIN_BICEP, re.S | re.M)
    assert block is not None
    return {
        name.strip("'"): _bicep_flat_object(body)
        for name, body in re.findall(r"^\s*('?[\w-]+'?): \{(.*)\}\s*$", block.group(1), re.M)
    }


def _probes() -> dict[str, dict[str, Any]]:
    """container-app.bicep's probes of an app with ingress, by type."""
    block = re.search(r"^var probes = ingress \? \[\n(.*?)^\] : \[\]", APP_BICEP, re.S | re.M)
    assert block is not None
    probes = {}
    for line in block.group(1).strip().splitlines():
        get = re.search(r"httpGet: \{(.*?)\}", line)
        assert get is not None, f"not an HTTP probe: {line}"
        fields = _bicep_flat_object(line.strip().strip("{}").replace(get.group(0), "httpGet: ''"))
        fields["httpGet"] = _bicep_flat_object(get.group(1))
        probes[fields["type"]] = fields
    return probes


def _stop_env(stop: dict[str, int]) -> dict[str, str]:
    """The variables container-app.bicep writes from ``stop``, as the container gets them."""
    written = re.findall(r"\{ name: '(\w+)', value: string\(stop\.(\w+)\) \}", APP_BICEP)
    assert written, "no drain settings written from stop"
    return {name: str(stop[field]) for name, field in written if field in stop}


def _image_port(service: str) -> int:
    """The port a service's image serves on (its Dockerfile's CMD)."""
    dockerfile = (ROOT / "services" / service / "Dockerfile").read_text()
    match = re.search(r'^CMD \[.*"--port", "(\d+)"\]', dockerfile, re.M)
    assert match is not None, service
    return int(match.group(1))


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
    assert not re.search(r"terminationGracePeriodSeconds:\s*\d", text), "grace comes from stopTimes"
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
    assert SCALE["services"]["menu"]["replicas"]["prod"] == {"min": 2, "max": 10}
    assert SCALE["services"]["menu"]["replicas"]["dev"]["min"] == 0


def test_prod_keeps_two_replicas_of_menu_and_realtime() -> None:
    # A drain moves traffic to the other replicas: with one, a stop or a
    # crash leaves nothing in rotation. Read as the load tests read it.
    rules = _loadtest_scale().load_scale_rules()
    for name in ("menu", "realtime"):
        low, high = rules[name].bounds("prod")
        assert low >= 2 and high >= low, f"{name}: prod min {low}"
    assert "minReplicas: replicas.min" in APP_BICEP


def test_azure_yaml_names_only_services_and_dockerfiles_that_exist() -> None:
    services: dict[str, Any] = AZURE_YAML["services"]
    assert set(services) == {"menu", "realtime", "media", "media-worker", "platform", "web"}
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
    # the close window is the realtime service's own setting, not stelly_core's
    # and the platform service reads its Front Door settings (stelly_platform.config)
    known = {*ENV_VARIABLES, *TELEMETRY_VARIABLES, CLOSE_WINDOW_VARIABLE, *PLATFORM_VARIABLES}
    assert written <= known, written - known
    assert {"STELLY_LOG_FORMAT", "STELLY_TRACE_SAMPLE_RATIO", "STELLY_TRACES_PER_SECOND"} <= written
    assert {"STELLY_FRONTDOOR_ID", "KZ_SECRET_KEY", "STELLY_DATABASE_AUTH"} <= written
    assert {"STELLY_DRAIN_SECONDS", "STELLY_SHUTDOWN_SECONDS", CLOSE_WINDOW_VARIABLE} <= written


def test_apps_with_ingress_are_probed_over_http_on_their_port() -> None:
    probes = _probes()
    assert set(probes) == {"Startup", "Readiness", "Liveness"}
    for probe in probes.values():
        assert probe["httpGet"]["port"] == "targetPort", probe
    assert probes["Readiness"]["httpGet"]["path"] == "/readyz"
    assert probes["Liveness"]["httpGet"]["path"] == "/healthz", "liveness must not fail a drain"
    assert probes["Startup"]["httpGet"]["path"] == "/healthz"
    # A short period and a low failure threshold: the default TCP probe
    # (5 s x 48) never notices a drain.
    readiness = probes["Readiness"]
    assert readiness["periodSeconds"] <= 5 and readiness["failureThreshold"] <= 3
    assert readiness.get("successThreshold", 1) == 1
    assert "probes: probes" in APP_BICEP
    # targetPort is both the ingress's port and the probes', and it is the
    # port the service's image listens on.
    assert re.search(r"^\s*targetPort: targetPort$", APP_BICEP, re.M)
    assert "targetPort: app.port" in MAIN_BICEP
    apps = _apps()
    assert {name for name, app in apps.items() if app["ingress"]} == {
        "menu",
        "realtime",
        "media",
        "platform",
    }
    for name, app in apps.items():
        if app["ingress"]:
            assert app["port"] == _image_port(name), name


def test_probe_values_are_inside_the_apis_bounds() -> None:
    assert "'Microsoft.App/containerApps@2025-01-01'" in APP_BICEP, "bounds are for this version"
    for kind, probe in _probes().items():
        assert set(probe) <= {"type", "httpGet", "tcpSocket", *PROBE_API_BOUNDS}, probe
        assert set(probe["httpGet"]) <= {"path", "port", "host", "scheme", "httpHeaders"}
        for key, (low, high) in PROBE_API_BOUNDS.items():
            if key in probe:
                assert low <= probe[key] <= high, f"{kind}.{key} = {probe[key]}"
        if kind != "Readiness":
            assert probe.get("successThreshold", 1) == 1, "must be 1 for liveness and startup"


def test_every_app_drains_inside_its_grace_period() -> None:
    apps, stops, probes = _apps(), _stop_times(), _probes()
    assert set(stops) == set(apps) == set(SCALE["services"])
    # the module passes the same figures to the process and to Container Apps
    assert "stop: stopTimes[app.service]" in MAIN_BICEP
    assert "terminationGracePeriodSeconds: stop.grace" in APP_BICEP
    assert re.search(r"env: concat\(env, stopEnv, ", APP_BICEP)
    assert "contains(stop, 'closeWindow') ? [" in APP_BICEP
    readiness, liveness = probes["Readiness"], probes["Liveness"]
    unready_after = readiness["periodSeconds"] * readiness["failureThreshold"]
    for name, stop in stops.items():
        # What the process makes of what Bicep passes: its own settings.
        env = _stop_env(stop)
        settings = load_settings(env)
        drain, shutdown = settings.drain_seconds, settings.shutdown_seconds
        close = RealtimeConfig.from_environ(env).close_window if name == "realtime" else 0.0
        assert (CLOSE_WINDOW_VARIABLE in env) == (name == "realtime"), name
        grace = stop["grace"]
        assert drain + close + shutdown + STOP_MARGIN_SECONDS <= grace, name
        if apps[name]["ingress"]:
            # /readyz fails at once; the ingress must have let go before the drain ends
            assert drain >= unready_after + INGRESS_PROPAGATION_SECONDS, name
            # and liveness must not restart a replica that is stopping
            assert liveness["periodSeconds"] * liveness["failureThreshold"] >= grace, name
        else:
            assert drain == 0, f"{name} has no ingress to drain from"
    # Realtime's close hook is bounded by the shutdown budget: the grace
    # holds that bound too, and the window fits inside it.
    realtime = _stop_env(stops["realtime"])
    realtime_settings = load_settings(realtime)
    assert RealtimeConfig.from_environ(realtime).close_window <= realtime_settings.shutdown_seconds
    assert (
        realtime_settings.drain_seconds
        + 2 * realtime_settings.shutdown_seconds
        + STOP_MARGIN_SECONDS
        <= stops["realtime"]["grace"]
    )


def test_no_secret_is_written_in_configuration() -> None:
    main = (INFRA / "main.bicep").read_text()
    assert "{ name: 'KZ_SECRET_KEY', secretRef: 'kz-secret-key' }" in main
    assert "{ name: 'STELLY_REDIS_URL', value: redis.outputs.url }" in main
    assert "{ name: 'STELLY_REDIS_AUTH', value: 'entra' }" in main
    assert "{ name: 'STELLY_DATABASE_AUTH', value: 'entra' }" in main
    text = _bicep_text()
    assert "adminUserEnabled: false" in text
    assert "disableLocalAuth: true" in text
    assert "allowSharedKeyAccess: false" in text
    assert "passwordAuth: 'Disabled'" in text
    # the one connection string: Application Insights', a Key Vault reference like KZ_SECRET_KEY
    appinsights = "{ name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights-connection-string' }"
    assert appinsights in main
    assert "CONNECTION_STRING" not in text.replace(appinsights, "")
    # it goes from the resource straight into Key Vault: no parameter, no output carries it
    keyvault = (INFRA / "modules" / "keyvault.bicep").read_text()
    assert "value: appInsights.properties.ConnectionString" in keyvault
    assert "properties.ConnectionString" not in text.replace(
        "value: appInsights.properties.ConnectionString", ""
    )
    monitoring = (INFRA / "modules" / "monitoring.bicep").read_text()
    assert "WorkspaceResourceId: workspace.id" in monitoring  # workspace-based


REDIS_BICEP = (INFRA / "modules" / "redis.bicep").read_text()


def test_redis_is_azure_managed_redis_with_entra_only() -> None:
    text = _bicep_text()
    # Azure Cache for Redis retires: no resource of it is left anywhere
    assert "Microsoft.Cache/redis@" not in text
    assert re.search(r"'Microsoft\.Cache/redisEnterprise@[\d-]+' = \{", REDIS_BICEP)
    assert re.search(r"'Microsoft\.Cache/redisEnterprise/databases@[\d-]+' = \{", REDIS_BICEP)
    # no access key exists, so none can leak: disabled on the database...
    assert "accessKeysAuthentication: 'Disabled'" in REDIS_BICEP
    assert "publicNetworkAccess: 'Disabled'" in REDIS_BICEP
    assert "clientProtocol: 'Encrypted'" in REDIS_BICEP
    assert "port: 10000" in REDIS_BICEP
    # ...and never read, stored in Key Vault or handed to an app
    for forbidden in ("listKeys", "primaryKey", "secondaryKey", "Microsoft.KeyVault"):
        assert forbidden not in REDIS_BICEP, forbidden
    assert "redis-url" not in text
    assert not re.search(r"(?i)redis\w*\.(outputs\.\w*key|listKeys)", text)
    assert not re.search(r"vaults/secrets@[^']*' = \{[^}]*redis", text, re.IGNORECASE | re.DOTALL)
    redis_env = re.findall(r"\{ name: '(STELLY_REDIS_\w+)', (\w+): ([^}]*)\}", MAIN_BICEP)
    assert {name: (kind, value.strip()) for name, kind, value in redis_env} == {
        "STELLY_REDIS_URL": ("value", "redis.outputs.url"),
        "STELLY_REDIS_AUTH": ("value", "'entra'"),
    }
    assert (
        "output url string = 'rediss://${cluster.properties.hostName}:${database.properties.port}'"
        in REDIS_BICEP
    )
    # reachable only through its private endpoint, resolved by its private zone
    assert "name: 'privatelink.redis.azure.net'" in REDIS_BICEP
    assert "groupIds: ['redisEnterprise']" in REDIS_BICEP
    # dev is the smallest size; prod is replicated
    assert "sku: { name: isProd ? 'Balanced_B1' : 'Balanced_B0' }" in REDIS_BICEP
    assert "highAvailability: isProd ? 'Enabled' : 'Disabled'" in REDIS_BICEP
    assert "clusteringPolicy: 'EnterpriseCluster'" in REDIS_BICEP


def test_every_app_identity_has_a_redis_access_policy_assignment() -> None:
    assignment = re.search(
        r"resource \w+ 'Microsoft\.Cache/redisEnterprise/databases/accessPolicyAssignments@[\d-]+'"
        r" = \[for \(principalId, i\) in dataPrincipalIds: \{(.*?)\n\}\]",
        REDIS_BICEP,
        re.DOTALL,
    )
    assert assignment, "one access policy assignment per identity, in a loop"
    assert "accessPolicyName: 'default'" in assignment.group(1)
    assert "user: { objectId: principalId }" in assignment.group(1)
    # the identities handed in are those of every deployable that opens Redis:
    # each app (by its identity index) and the migrate job (the CLI, index 4)
    module = re.search(r"module redis 'modules/redis\.bicep' = \{(.*?)\n\}", MAIN_BICEP, re.DOTALL)
    assert module
    listed = re.search(r"dataPrincipalIds: \[([^\]]*)\]", module.group(1))
    assert listed
    principals = {p.strip() for p in listed.group(1).split(",")}
    index_of = {
        name: int(index)
        for name, index in re.findall(
            r"var (\w+Principal) = identities\[(\d)\]\.outputs\.principalId", MAIN_BICEP
        )
    }
    app_identities = {int(i) for i in re.findall(r"identity: (\d), image:", MAIN_BICEP)}
    assert app_identities and {index_of[p] for p in principals} == app_identities | {4}


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
    try:
        return run_checkov(*args)
    except CheckovUnavailable as error:
        pytest.skip(str(error))
    except CheckovBroken as error:
        raise AssertionError(str(error)) from None


def _assert_clean(reports: list[dict[str, Any]], frameworks: set[str]) -> None:
    problems = failures(reports, frameworks)
    assert not problems, problems


def test_checkov_passes_on_infra_and_workflows() -> None:
    reports = _checkov(*INFRA_ARGS)
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


FRONTDOOR_BICEP = (INFRA / "modules" / "frontdoor.bicep").read_text()
PROFILE_BICEP = (INFRA / "modules" / "frontdoor-profile.bicep").read_text()


def test_the_console_is_routed_by_host_in_front_door_too() -> None:
    hosted = [route for route in ROUTING["routes"] if route.get("hosts")]
    assert {route["origin"] for route in hosted} == {"platform", "web"}
    assert all(route["hosts"] == ["console.*"] for route in hosted)
    # its routes serve the console's own custom domain only, never the wildcard or azurefd.net
    assert "hostName: 'console.${baseDomain}'" in FRONTDOOR_BICEP
    assert (
        "linkToDefaultDomain: contains(route, 'hosts') ? 'Disabled' : 'Enabled'" in FRONTDOOR_BICEP
    )
    assert (
        "customDomains: useCustomDomain ? [{ id: contains(route, 'hosts') ? consoleDomain.id"
        " : wildcardDomain.id }] : []" in FRONTDOOR_BICEP
    )
    # the platform manages only the tenant routes: those without hosts, by name
    assert (
        "var tenantRouteNames = [for route in routing.routes: contains(route, 'hosts') ? '' : route.name]"
        in MAIN_BICEP
    )
    assert "{ name: 'STELLY_FRONTDOOR_ROUTES', value: join(tenantRouteNames, ',') }" in MAIN_BICEP


def test_the_platform_identity_manages_only_the_front_door_profile() -> None:
    # CDN Profile Contributor, scoped to the profile, for the platform's identity alone
    assert "'ec156ff8-a8d1-4d15-830c-5b80698ca432'" in PROFILE_BICEP
    assert re.search(
        r"scope: profile\n\s+properties: \{\n\s+roleDefinitionId: cdnProfileContributor",
        PROFILE_BICEP,
    )
    assert "domainManagerPrincipalIds: [platformPrincipal]" in MAIN_BICEP
    assert "var platformPrincipal = identities[5].outputs.principalId" in MAIN_BICEP
    assert re.search(
        r"\{ service: 'platform', identity: 5, image: 'stelly-platform', port: 8004", MAIN_BICEP
    )
