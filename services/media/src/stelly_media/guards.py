"""Who may upload: active staff of this tenant who are managers or owners (SPEC §3).

The guard itself is shared (``stelly_tenancy.staff``): the role is read from
the user's row, not the token, so that a demotion takes effect at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stelly_tenancy.staff import MENU_EDITORS, current_staff, staff_guard

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection

__all__ = ["MEDIA_EDITORS", "staff_guard", "staff_id"]

MEDIA_EDITORS = MENU_EDITORS


def staff_id(connection: ASGIConnection[Any, Any, Any, Any]) -> int:
    """The staff user the guard admitted."""
    return current_staff(connection).id
