"""Versioned SQL migrations: the platform's and each component's tenant ones.

A component is a package of ``NNNN_name.sql`` files. Services contribute their
tenant migrations through the ``stelly.migrations`` entry-point group; the
core component (``core``) is always applied first, the others by name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import entry_points

__all__ = [
    "Migration",
    "head_fingerprint",
    "load_package",
    "platform_migrations",
    "tenant_migrations",
]

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
ENTRY_POINT_GROUP = "stelly.migrations"
CORE_COMPONENT = "core"


@dataclass(frozen=True, slots=True)
class Migration:
    """One SQL file of a component."""

    component: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]


def load_package(component: str, package: str) -> list[Migration]:
    """Read a component's migrations from a package of SQL files.

    Args:
        component: the component's name in the ledger.
        package: the dotted package holding ``NNNN_name.sql`` files.

    Returns:
        The migrations in version order.

    Raises:
        ValueError: on a duplicated version or a misnamed ``.sql`` file.
    """
    found: dict[int, Migration] = {}
    for entry in resources.files(package).iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE.fullmatch(entry.name)
        if match is None:
            raise ValueError(f"{package}: migration file {entry.name!r} is not NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"{package}: two migrations have version {version}")
        found[version] = Migration(component, version, match.group(2), entry.read_text())
    return [found[v] for v in sorted(found)]


def platform_migrations() -> list[Migration]:
    """The migrations of the ``public`` schema."""
    return load_package("platform", "stelly_tenancy.migrations.platform")


def tenant_migrations() -> list[Migration]:
    """Every installed component's tenant migrations, in the order they apply."""
    packages = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    order = sorted(packages, key=lambda name: (name != CORE_COMPONENT, name))
    return [m for name in order for m in load_package(name, packages[name])]


def head_fingerprint(migrations: list[Migration]) -> str:
    """A short digest naming exactly this set of tenant migrations."""
    digest = hashlib.sha256()
    for m in migrations:
        digest.update(f"{m.component}:{m.version}:{m.checksum};".encode())
    return digest.hexdigest()[:24]
