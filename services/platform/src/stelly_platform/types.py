"""Constrained field types of the console's wire schemas.

Every bound keeps bad input a 400 rather than a database error, and text
carries no control characters (PostgreSQL refuses NUL in ``text``).
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

__all__ = ["Email", "Line", "Name", "Password"]

_LINE = r"^[^\x00-\x1f\x7f]*$"

#: one line of text, refused only for control characters or length (the rules come after)
Line = Annotated[str, Meta(max_length=253, pattern=_LINE)]
Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=_LINE)]
Email = Annotated[
    str,
    Meta(
        min_length=3, max_length=254, pattern=r"^[^@\x00-\x20\x7f-\x9f]+@[^@\x00-\x20\x7f-\x9f]+$"
    ),
]
Password = Annotated[str, Meta(min_length=8, max_length=1024)]
