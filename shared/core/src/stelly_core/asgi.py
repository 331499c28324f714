"""Reading request headers straight from an ASGI scope, without a framework object.

On the hot path of every request: one pass over the headers, no allocation
but the result.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["first_headers"]


def first_headers(scope: Mapping[str, Any], *names: bytes) -> list[str | None]:
    """The first value of each named header, in the order asked, in one pass.

    Args:
        scope: an HTTP or WebSocket scope (header names are lower-case bytes).
        names: lower-case header names.

    Returns:
        One entry per name: its first value (latin-1), or ``None`` when absent.
    """
    wanted = _positions(names)
    found: list[str | None] = [None] * len(names)
    for key, value in scope["headers"]:
        at = wanted.get(key)
        if at is not None and found[at] is None:
            found[at] = value.decode("latin-1")
    return found


@lru_cache(maxsize=64)
def _positions(names: tuple[bytes, ...]) -> dict[bytes, int]:
    # built once per call site (the names are constants), not on every request;
    # callers only read it
    return {name: at for at, name in enumerate(names)}
