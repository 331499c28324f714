"""Azure's resource type definitions (bicep-types-az), as ../shared/azure-types holds them.

Invariants:

- One ``FOLDER/microsoft.PROVIDER/API-VERSION/types.json.gz`` per provider
  folder and API version; a resource ``Microsoft.X/y@V`` is looked up in every
  ``*/microsoft.x/V/`` file, by name, case-insensitively (as Bicep does).
- A type node is returned as the JSON object it is in the file; ``$ref``
  references are resolved against the array of the file they came from, so a
  :class:`TypeRef` carries its file's node list.
- Files are read once per :class:`TypeLibrary`.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra_check.vendored import default_types_dir

__all__ = [
    "DEFAULT_TYPES_DIR",
    "FLAG_READ_ONLY",
    "FLAG_REQUIRED",
    "Lookup",
    "TypeLibrary",
    "TypeRef",
]

FLAG_REQUIRED = 1
FLAG_READ_ONLY = 2
#: The full set beside the checkout, else the subset in infra/azure-types (infra_check.vendored).
DEFAULT_TYPES_DIR = default_types_dir()


@dataclass(frozen=True)
class TypeRef:
    """A node of one types.json array."""

    nodes: tuple[dict[str, Any], ...]
    index: int

    @property
    def node(self) -> dict[str, Any]:
        return self.nodes[self.index]

    @property
    def kind(self) -> str:
        return str(self.node["$type"])

    def ref(self, reference: dict[str, Any]) -> TypeRef:
        """The node ``{"$ref": "#/N"}`` points at, in the same file."""
        return TypeRef(self.nodes, int(str(reference["$ref"]).removeprefix("#/")))


@dataclass(frozen=True)
class Lookup:
    """A resource type's body, or why there is none (with the versions that exist)."""

    body: TypeRef | None
    known_versions: tuple[str, ...]


class TypeLibrary:
    def __init__(self, root: Path = DEFAULT_TYPES_DIR) -> None:
        if not (root / "README.md").is_file():
            raise FileNotFoundError(f"no Azure type definitions at {root}")
        self.root = root
        self._files: dict[Path, tuple[dict[str, Any], ...]] = {}

    def _load(self, path: Path) -> tuple[dict[str, Any], ...]:
        if path not in self._files:
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                self._files[path] = tuple(json.load(handle))
        return self._files[path]

    def versions(self, type_name: str) -> tuple[str, ...]:
        """Every API version the definitions hold for the type's provider namespace."""
        provider = type_name.split("/")[0].lower()
        return tuple(
            sorted({p.parent.name for p in self.root.glob(f"*/{provider}/*/types.json.gz")})
        )

    def resource(self, type_name: str, api_version: str) -> Lookup:
        provider = type_name.split("/")[0].lower()
        wanted = f"{type_name}@{api_version}".lower()
        for path in sorted(self.root.glob(f"*/{provider}/{api_version}/types.json.gz")):
            nodes = self._load(path)
            for index, node in enumerate(nodes):
                if node["$type"] == "ResourceType" and str(node["name"]).lower() == wanted:
                    return Lookup(TypeRef(nodes, index).ref(node["body"]), ())
        known = []
        for version in self.versions(type_name):
            for path in self.root.glob(f"*/{provider}/{version}/types.json.gz"):
                names = {
                    str(n["name"]).lower() for n in self._load(path) if n["$type"] == "ResourceType"
                }
                if f"{type_name}@{version}".lower() in names:
                    known.append(version)
                    break
        return Lookup(None, tuple(known))
