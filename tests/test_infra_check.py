"""``make infra-check``: infra/ passes the type check, and each kind of mistake is caught.

Each mutation is made on a copy of a real infra/ file in a temp directory;
the type check (and the command ``make infra-check`` runs, without checkov)
must report it with its code, at its line. The type definitions are Azure's
own (../shared/azure-types).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # infra_check/ is a top-level directory, like chaos/

from infra_check.azure_types import TypeLibrary  # noqa: E402
from infra_check.bicep import Loop, Obj, Str, Ternary, parse_bicep  # noqa: E402
from infra_check.check import check_paths  # noqa: E402
from infra_check.cli import main  # noqa: E402
from infra_check.unchecked import UNCHECKED, is_unchecked  # noqa: E402
from infra_check.vendored import (  # noqa: E402
    VENDORED_TYPES_DIR,
    declared_unchecked,
    declared_versions,
    missing_versions,
)

INFRA = ROOT / "infra"


@pytest.fixture(scope="module")
def library() -> TypeLibrary:
    return TypeLibrary()


def test_infra_has_no_findings(library: TypeLibrary) -> None:
    findings = check_paths(library, [INFRA])
    assert not findings, "\n".join(map(str, findings))


# (file, text written, its replacement, expected code, text in the message)
MUTATIONS = {
    "misspelled-property": (
        "modules/storage.bicep",
        "    accessTier: 'Hot'\n",
        "    accesTier: 'Hot'\n",
        "unknown-property",
        "properties.accesTier: no such property",
    ),
    "wrong-api-version": (
        "modules/storage.bicep",
        "'Microsoft.Storage/storageAccounts@2023-05-01'",
        "'Microsoft.Storage/storageAccounts@2023-05-09'",
        "unknown-version",
        "API version 2023-05-09 does not exist for Microsoft.Storage/storageAccounts",
    ),
    "invalid-enum-value": (
        "modules/storage.bicep",
        "publicAccess: 'Blob'",
        "publicAccess: 'Everyone'",
        "invalid-value",
        "properties.publicAccess: 'Everyone' is not one of 'Container', 'Blob', 'None'",
    ),
    "missing-required-property": (
        "modules/registry.bicep",
        "    principalId: principalId\n",
        "",
        "missing-required",
        "properties.principalId: required, not written",
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_each_mutation_is_caught(
    mutation: str, library: TypeLibrary, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, old, new, code, message = MUTATIONS[mutation]
    original = (INFRA / name).read_text()
    assert original.count(old) == 1, f"{name} no longer holds {old!r}: update the mutation"
    copy = tmp_path / Path(name).name
    copy.write_text(original.replace(old, new))
    line = original[: original.index(old)].count("\n") + 1

    findings = check_paths(library, [copy])
    assert [f.code for f in findings] == [code], findings
    assert message in findings[0].message
    assert abs(findings[0].line - line) <= 3, (findings[0].line, line)
    # the unmutated copy is clean, so the finding is the mutation's
    copy.write_text(original)
    assert check_paths(library, [copy]) == []
    copy.write_text(original.replace(old, new))
    # what `make infra-check` runs fails on it
    assert main([str(copy), "--no-checkov"]) == 1
    assert message in capsys.readouterr().out


def test_both_branches_loops_variables_and_discriminators_are_checked(
    library: TypeLibrary, tmp_path: Path
) -> None:
    source = """
param prod bool
var acls = { defaultAction: 'Maybe', bypass: 'AzureServices' }
resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stellyx'
  location: 'westeurope'
  kind: 'StorageV2'
  sku: { name: prod ? 'Standard_ZRS' : 'Standard_LRS' }
  properties: {
    networkAcls: acls
    encryption: prod ? { keySource: 'Microsoft.Storage' } : { keySourc: 'Microsoft.Storage' }
  }
  resource blobs 'blobServices' = {
    name: 'default'
    properties: { deleteRetentionPolicy: { enabled: true, day: 7 } }
  }
}
resource rules 'Microsoft.Cdn/profiles/ruleSets/rules@2024-09-01' = [for i in range(0, 2): {
  name: 'r${i}'
  properties: {
    order: 1
    actions: [{ name: 'Teleport', parameters: {} }]
  }
}]
"""
    parsed = parse_bicep(source)
    assert isinstance(parsed.variables["acls"], Obj)
    sku = parsed.resources[0].body.props[3].value
    assert isinstance(sku, Obj) and isinstance(sku.props[0].value, Ternary)
    assert parsed.resources[0].children[0].type_name.endswith("storageAccounts/blobServices")
    assert not isinstance(parsed.resources[1].body, Loop | Str)
    path = tmp_path / "sample.bicep"
    path.write_text(source)
    messages = sorted(f"{f.code} {f.message.split(' (')[0]}" for f in check_paths(library, [path]))
    assert messages == [
        "invalid-value properties.actions[0].name: 'Teleport' is not one of 'CacheExpiration', "
        "'CacheKeyQueryString', 'ModifyRequestHeader', 'ModifyResponseHeader', "
        "'OriginGroupOverride', 'RouteConfigurationOverride', 'UrlRedirect', 'UrlRewrite', "
        "'UrlSigning'",
        "invalid-value properties.networkAcls.defaultAction: 'Maybe' is not one of 'Allow', 'Deny'",
        "unknown-property properties.deleteRetentionPolicy.day: no such property",
        "unknown-property properties.encryption.keySourc: no such property",
    ]


def test_the_repository_holds_every_type_file_infra_declares() -> None:
    """A clean checkout has no ../shared: the subset in infra/azure-types must suffice."""
    declared = declared_versions()
    assert ("microsoft.app", "2025-01-01") in declared  # the scan finds what infra/ uses
    assert missing_versions(VENDORED_TYPES_DIR, declared) == [], (
        "run: python -m infra_check --vendor"
    )
    library = TypeLibrary(VENDORED_TYPES_DIR)
    assert library.resource("Microsoft.App/containerApps", "2025-01-01").body is not None


def test_unchecked_types_are_few_used_and_reported() -> None:
    """The one type the snapshot lacks (Application Insights) is declared, listed and printed."""
    assert declared_unchecked() == ["Microsoft.Insights/components@2020-02-02"]
    assert set(UNCHECKED) == {t.lower() for t in declared_unchecked()}  # no stale entries
    assert ("microsoft.insights", "2020-02-02") not in declared_versions()
    assert is_unchecked("Microsoft.Insights/components", "2020-02-02")
    assert not is_unchecked("Microsoft.Insights/components", "2021-01-01")
