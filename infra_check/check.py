"""The type check of Bicep resources against Azure's resource type definitions.

Invariants:

- Every ``resource`` is held against ``Type@version`` of the definitions: the
  type and version exist; every property written exists (recursively through
  object literals, arrays, loops and both branches of every ternary); required
  properties are present and read-only ones absent where the value is an
  object literal; string literals are among the allowed values; a
  discriminated object is checked against the element its discriminator names.
- The property names a resource body takes (``name``, ``location``, ``tags``,
  ``properties``...) come from the definitions; only the Bicep language's own
  keywords that no definition holds (``parent``, ``scope``, ``dependsOn``)
  are added.
- An ``existing`` resource is only checked for unknown properties.
- A ``Type@version`` of :mod:`infra_check.unchecked` is skipped (the snapshot
  has no definitions for it); the CLI prints each one it meets.
- A value the parser could not evaluate matches every type; a ``var`` of the
  same file is followed (once per name along a path, so cycles end).
- Findings are values (:class:`Finding`), never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra_check.azure_types import FLAG_READ_ONLY, FLAG_REQUIRED, TypeLibrary, TypeRef
from infra_check.bicep import (
    Arr,
    BicepFile,
    BicepSyntaxError,
    Bool,
    Loop,
    Node,
    Null,
    Num,
    Obj,
    Ref,
    Resource,
    Str,
    Ternary,
    Unknown,
    parse_file,
)
from infra_check.unchecked import is_unchecked

__all__ = ["LANGUAGE_KEYWORDS", "Finding", "check_file", "check_paths"]

#: Resource body properties that belong to the Bicep language, not to Azure's definitions.
LANGUAGE_KEYWORDS = frozenset({"parent", "scope", "dependsOn"})


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    resource: str
    code: str  # unknown-type, unknown-version, unknown-property, missing-required, read-only, invalid-value, wrong-type, syntax
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.resource}: [{self.code}] {self.message}"


@dataclass(frozen=True)
class _Issue:
    line: int
    code: str
    message: str


class _Checker:
    def __init__(self, variables: dict[str, Node], line: int) -> None:
        self.variables = variables
        self.line = line
        self.issues: list[_Issue] = []
        #: An ``existing`` resource declares no properties it must have.
        self.skip_required = False

    def report(self, line: int, code: str, message: str) -> None:
        self.issues.append(_Issue(line, code, message))

    def resolve(self, node: Node, seen: frozenset[str]) -> tuple[Node, frozenset[str]]:
        while isinstance(node, Ref) and node.name in self.variables and node.name not in seen:
            seen = seen | {node.name}
            node = self.variables[node.name]
        return node, seen

    def value(
        self, node: Node, expected: TypeRef, where: str, line: int, seen: frozenset[str]
    ) -> None:
        node, seen = self.resolve(node, seen)
        if isinstance(node, Unknown | Ref | Null):
            return
        if isinstance(node, Ternary):
            self.value(node.then, expected, where, line, seen)
            self.value(node.otherwise, expected, where, line, seen)
            return
        if isinstance(node, Obj):
            line = node.line
        kind = expected.kind
        if kind == "AnyType":
            return
        if kind == "UnionType":
            self.union(node, expected, where, line, seen)
        elif kind == "StringLiteralType":
            allowed = expected.node["value"]
            if not isinstance(node, Str):
                self.report(line, "wrong-type", f"{where}: expected '{allowed}'")
            elif node.value is not None and node.value != allowed:
                self.report(line, "invalid-value", f"{where}: '{node.value}' is not '{allowed}'")
        elif kind == "StringType":
            if not isinstance(node, Str):
                self.report(line, "wrong-type", f"{where}: expected a string")
            elif node.value is not None:
                self.string_bounds(node.value, expected, where, line)
        elif kind == "IntegerType":
            if not isinstance(node, Num):
                self.report(line, "wrong-type", f"{where}: expected an integer")
            else:
                low, high = expected.node.get("minValue"), expected.node.get("maxValue")
                if (low is not None and node.value < low) or (
                    high is not None and node.value > high
                ):
                    self.report(
                        line, "invalid-value", f"{where}: {node.value} outside [{low}, {high}]"
                    )
        elif kind == "BooleanType":
            if not isinstance(node, Bool):
                self.report(line, "wrong-type", f"{where}: expected a boolean")
        elif kind == "ArrayType":
            items: tuple[Node, ...]
            if isinstance(node, Loop):
                items = (node.body,)
            elif isinstance(node, Arr):
                items = node.items
            else:
                self.report(line, "wrong-type", f"{where}: expected an array")
                return
            item_type = expected.ref(expected.node["itemType"])
            for index, item in enumerate(items):
                self.value(item, item_type, f"{where}[{index}]", line, seen)
        elif kind in ("ObjectType", "DiscriminatedObjectType"):
            if not isinstance(node, Obj):
                self.report(line, "wrong-type", f"{where}: expected an object")
                return
            self.object(node, expected, where, seen, resource_body=False)

    def string_bounds(self, value: str, expected: TypeRef, where: str, line: int) -> None:
        low, high = expected.node.get("minLength"), expected.node.get("maxLength")
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            self.report(
                line, "invalid-value", f"{where}: length {len(value)} outside [{low}, {high}]"
            )

    def union(
        self, node: Node, expected: TypeRef, where: str, line: int, seen: frozenset[str]
    ) -> None:
        elements = [expected.ref(element) for element in expected.node["elements"]]
        if isinstance(node, Str):
            literals = [e.node["value"] for e in elements if e.kind == "StringLiteralType"]
            if any(e.kind in ("StringType", "AnyType") for e in elements) or node.value is None:
                return
            if literals and node.value not in literals:
                allowed = ", ".join(f"'{value}'" for value in literals)
                self.report(
                    line, "invalid-value", f"{where}: '{node.value}' is not one of {allowed}"
                )
            elif not literals:
                self.report(line, "wrong-type", f"{where}: a string is not allowed here")
            return
        # Another kind of value: it must fit one element; report the closest fit's issues.
        best: list[_Issue] | None = None
        for element in elements:
            trial = _Checker(self.variables, line)
            trial.value(node, element, where, line, seen)
            if not trial.issues:
                return
            if best is None or len(trial.issues) < len(best):
                best = trial.issues
        self.issues.extend(best or [])

    def object(
        self, node: Obj, expected: TypeRef, where: str, seen: frozenset[str], resource_body: bool
    ) -> None:
        properties, additional = self.object_shape(node, expected, where, seen)
        if properties is None:
            return
        by_lower = {name.lower(): (name, spec) for name, spec in properties.items()}
        written: set[str] = set()
        for prop in node.props:
            if prop.key is None:  # an interpolated key: only additionalProperties can take it
                continue
            inner = f"{where}.{prop.key}" if where else prop.key
            match = by_lower.get(prop.key.lower())
            if match is None:
                if resource_body and prop.key in LANGUAGE_KEYWORDS:
                    continue
                if additional is not None:
                    self.value(prop.value, additional, inner, prop.line, seen)
                    continue
                known = ", ".join(sorted(properties))
                self.report(
                    prop.line, "unknown-property", f"{inner}: no such property (known: {known})"
                )
                continue
            name, spec = match
            written.add(name)
            flags = int(spec.get("flags", 0))
            if flags & FLAG_READ_ONLY:
                self.report(prop.line, "read-only", f"{inner}: read-only, cannot be written")
                continue
            self.value(prop.value, expected.ref(spec["type"]), inner, prop.line, seen)
        for name, spec in properties.items():
            flags = int(spec.get("flags", 0))
            if self.skip_required:
                break
            if flags & FLAG_REQUIRED and not flags & FLAG_READ_ONLY and name not in written:
                inner = f"{where}.{name}" if where else name
                self.report(node.line, "missing-required", f"{inner}: required, not written")

    def object_shape(
        self, node: Obj, expected: TypeRef, where: str, seen: frozenset[str]
    ) -> tuple[dict[str, dict[str, Any]] | None, TypeRef | None]:
        """The properties (and additionalProperties type) an object literal is held against."""
        if expected.kind == "ObjectType":
            extra = expected.node.get("additionalProperties")
            return dict(expected.node.get("properties", {})), expected.ref(extra) if extra else None
        discriminator = str(expected.node["discriminator"])
        base = dict(expected.node.get("baseProperties", {}))
        elements: dict[str, dict[str, str]] = expected.node["elements"]
        written = next((p for p in node.props if p.key == discriminator), None)
        value = self.resolve(written.value, seen)[0] if written else None
        if written is None:
            self.report(
                node.line, "missing-required", f"{where}.{discriminator}: required, not written"
            )
            return None, None
        if not isinstance(value, Str) or value.value is None:
            return None, None  # unknown variant: nothing more can be said
        if value.value not in elements:
            allowed = ", ".join(f"'{key}'" for key in sorted(elements))
            self.report(
                written.line,
                "invalid-value",
                f"{where}.{discriminator}: '{value.value}' is not one of {allowed}",
            )
            return None, None
        variant = expected.ref(elements[value.value])
        properties = {**base, **variant.node.get("properties", {})}
        extra = variant.node.get("additionalProperties")
        return properties, variant.ref(extra) if extra else None


def _check_resource(
    library: TypeLibrary, resource: Resource, variables: dict[str, Node], path: Path
) -> list[Finding]:
    findings: list[Finding] = []
    label = f"{resource.symbol} ({resource.type_name}@{resource.api_version})"
    lookup = library.resource(resource.type_name, resource.api_version)
    if lookup.body is None and is_unchecked(resource.type_name, resource.api_version):
        pass  # listed in infra_check/unchecked.py: no definitions to check against
    elif lookup.body is None:
        if lookup.known_versions:
            code = "unknown-version"
            message = (
                f"API version {resource.api_version} does not exist for {resource.type_name} "
                f"(known: {', '.join(lookup.known_versions)})"
            )
        else:
            code = "unknown-type"
            message = f"no resource type {resource.type_name} in the definitions"
        findings.append(Finding(path, resource.line, label, code, message))
    else:
        checker = _Checker(variables, resource.line)
        if resource.existing:
            checker.skip_required = True
            checker.object(_only_known_keys(resource.body), lookup.body, "", frozenset(), True)
        else:
            checker.object(resource.body, lookup.body, "", frozenset(), resource_body=True)
        findings += [Finding(path, i.line, label, i.code, i.message) for i in checker.issues]
    for child in resource.children:
        findings += _check_resource(library, child, variables, path)
    return findings


def _only_known_keys(body: Obj) -> Obj:
    """An existing resource's body with its values made unknown (only names are checked)."""
    return Obj(tuple(type(p)(p.key, Unknown(), p.line) for p in body.props), body.line)


def check_file(library: TypeLibrary, path: Path) -> list[Finding]:
    try:
        parsed: BicepFile = parse_file(path)
    except BicepSyntaxError as error:
        return [Finding(path, 0, "-", "syntax", str(error))]
    findings: list[Finding] = []
    for resource in parsed.resources:
        findings += _check_resource(library, resource, parsed.variables, path)
    return findings


def check_paths(library: TypeLibrary, paths: list[Path]) -> list[Finding]:
    """Findings for every .bicep file under each path (a file or a directory)."""
    files = sorted({f for p in paths for f in ([p] if p.is_file() else p.rglob("*.bicep"))})
    findings: list[Finding] = []
    for path in files:
        findings += check_file(library, path)
    return findings
