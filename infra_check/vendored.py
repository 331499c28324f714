"""Where the type definitions come from: the team's full set, or the subset kept in infra/.

Invariants:
- ``STELLY_AZURE_TYPES`` wins; else the full set beside the checkout
  (``../shared/azure-types``) when it is there; else the repository's own
  subset (``infra/azure-types``), so a clean CI checkout checks too.
- The subset holds exactly the provider API versions ``infra/*.bicep``
  declares, but for the types of :mod:`infra_check.unchecked` (:func:`vendor` rewrites it from the full set; a test fails when a
  declared version is missing from it).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from infra_check.unchecked import is_unchecked

__all__ = [
    "SHARED_TYPES_DIR",
    "VENDORED_TYPES_DIR",
    "declared_unchecked",
    "declared_versions",
    "default_types_dir",
    "missing_versions",
    "vendor",
]

_REPO = Path(__file__).resolve().parents[1]
SHARED_TYPES_DIR = _REPO.parent / "shared" / "azure-types"
VENDORED_TYPES_DIR = _REPO / "infra" / "azure-types"
_DECLARED = re.compile(r"'(Microsoft\.[A-Za-z]+/[^@']+)@([0-9]{4}-[0-9]{2}-[0-9]{2}(?:-preview)?)'")


def default_types_dir() -> Path:
    """The definitions to check against (see the module docstring)."""
    configured = os.environ.get("STELLY_AZURE_TYPES")
    if configured:
        return Path(configured)
    if (SHARED_TYPES_DIR / "README.md").is_file():
        return SHARED_TYPES_DIR
    return VENDORED_TYPES_DIR


def declared_versions(infra: Path = _REPO / "infra") -> set[tuple[str, str]]:
    """``(microsoft.provider, api-version)`` of every resource the Bicep declares."""
    found: set[tuple[str, str]] = set()
    for path in infra.rglob("*.bicep"):
        for type_name, version in _DECLARED.findall(path.read_text()):
            if not is_unchecked(type_name, version):
                found.add((type_name.split("/", 1)[0].lower(), version))
    return found


def declared_unchecked(infra: Path = _REPO / "infra") -> list[str]:
    """``Type@version`` of each resource the Bicep declares that :data:`UNCHECKED` lists, sorted."""
    found: set[str] = set()
    for path in infra.rglob("*.bicep"):
        for type_name, version in _DECLARED.findall(path.read_text()):
            if is_unchecked(type_name, version):
                found.add(f"{type_name}@{version}")
    return sorted(found)


def missing_versions(root: Path, declared: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """The declared provider versions ``root`` has no ``types.json.gz`` for."""
    return sorted(
        (provider, version)
        for provider, version in declared
        if not any(root.glob(f"*/{provider}/{version}/types.json.gz"))
    )


def vendor(source: Path = SHARED_TYPES_DIR, target: Path = VENDORED_TYPES_DIR) -> list[Path]:
    """Rewrite the subset in ``target`` from the full set: exactly the declared versions.

    Returns:
        The files now in the subset.
    """
    declared = declared_versions()
    missing = missing_versions(source, declared)
    if missing:
        raise FileNotFoundError(f"not in {source}: {missing}")
    for old in target.glob("*/microsoft.*"):
        shutil.rmtree(old.parent)
    copied = []
    for provider, version in sorted(declared):
        for path in sorted(source.glob(f"*/{provider}/{version}/types.json.gz")):
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
            copied.append(destination)
    shutil.copyfile(source / "LICENSE", target / "LICENSE")
    return copied
