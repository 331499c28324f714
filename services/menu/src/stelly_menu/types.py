"""Constrained field types shared by the wire schemas.

Every bound here keeps bad input a 400 rather than a database error: ids fit
a ``bigint``, money fits an ``integer``, and text carries no control
characters (PostgreSQL refuses NUL in ``text``).
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter
from msgspec import Meta

__all__ = [
    "MAX_ID",
    "Count",
    "Description",
    "Email",
    "Id",
    "ImageId",
    "Name",
    "Note",
    "Password",
    "PathId",
    "Phone",
    "Position",
    "Price",
    "Quantity",
    "Tag",
]

MAX_ID = 2**63 - 1
_LINE = r"^[^\x00-\x1f\x7f]*$"
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
#: an ``{id:int}`` path parameter (Litestar would document its bounds as floats,
#: and 2**63 - 1 as a float is 2**63, so they are stated as integers)
PathId = Annotated[int, Parameter(ge=1, le=MAX_ID, schema_extra={"minimum": 1, "maximum": MAX_ID})]
Price = Annotated[int, Meta(ge=0, le=10_000_000, description="minor units")]
Quantity = Annotated[int, Meta(ge=1, le=99)]
Count = Annotated[int, Meta(ge=0, le=50)]
Position = Annotated[int, Meta(ge=-1_000_000, le=1_000_000)]
Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=_LINE)]
Description = Annotated[str, Meta(max_length=2000, pattern=_TEXT)]
Note = Annotated[str, Meta(max_length=500, pattern=_TEXT)]
Tag = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")]
ImageId = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Phone = Annotated[str, Meta(min_length=3, max_length=40, pattern=r"^[0-9+() ./-]+$")]
Email = Annotated[
    str,
    Meta(
        min_length=3, max_length=254, pattern=r"^[^@\x00-\x20\x7f-\x9f]+@[^@\x00-\x20\x7f-\x9f]+$"
    ),
]
Password = Annotated[str, Meta(min_length=1, max_length=1024)]
