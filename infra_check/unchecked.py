"""Resource types that Azure's type snapshot does not hold, declared anyway.

Invariants:
- A ``Type@version`` listed here is not type-checked (there is nothing to
  check it against) and is not looked for when the subset is vendored; every
  other unknown type or version is still a finding.
- Each entry says why it is needed and why the snapshot lacks it; the check
  prints every unchecked resource it meets, so none goes unnoticed, and a
  test fails when an entry is no longer used by ``infra/``.
"""

from __future__ import annotations

__all__ = ["UNCHECKED", "is_unchecked"]

#: ``type@api-version`` (case-insensitive) → why it is declared without a type check
UNCHECKED: dict[str, str] = {
    "microsoft.insights/components@2020-02-02": (
        "workspace-based Application Insights (SPEC §9): 2020-02-02 is the newest API "
        "version of this type, and the snapshot holds only versions from 2023 on"
    ),
}


def is_unchecked(type_name: str, api_version: str) -> bool:
    """Whether ``type_name@api_version`` is declared without a type check."""
    return f"{type_name}@{api_version}".lower() in UNCHECKED
