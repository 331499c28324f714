"""Admin wire types for categories and items (SPEC §3 Staff)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from stelly_menu.domain.menu.schemas import MenuGroup, MenuImage
from stelly_menu.types import Count, Description, Id, ImageId, Name, Position, Price, Tag

__all__ = [
    "CategoryCreate",
    "CategoryOut",
    "CategoryPatch",
    "CategoryReorder",
    "GroupIn",
    "ItemCreate",
    "ItemOut",
    "ItemPatch",
    "ItemReorder",
    "OptionIn",
]

Tags = Annotated[list[Tag], Meta(max_length=20)]


class CategoryCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    position: Position = 0


class CategoryPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    position: Position | UnsetType = UNSET


class CategoryOut(msgspec.Struct, frozen=True):
    id: int
    name: str
    position: int
    item_count: int


class OptionIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    price: Price = 0


class GroupIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    options: Annotated[list[OptionIn], Meta(min_length=1, max_length=50)]
    min: Count = 0
    max: Annotated[int, Meta(ge=1, le=50)] = 1


Groups = Annotated[list[GroupIn], Meta(max_length=20)]


class ItemCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    category_id: Id
    name: Name
    price: Price
    description: Description = ""
    available: bool = True
    tags: Tags = msgspec.field(default_factory=list)
    image_id: ImageId | None = None
    position: Position = 0
    modifier_groups: Groups = msgspec.field(default_factory=list)


class ItemPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Fields left out stay; ``modifier_groups`` replaces the whole list when given."""

    category_id: Id | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    price: Price | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    available: bool | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET
    image_id: ImageId | UnsetType | None = UNSET
    position: Position | UnsetType = UNSET
    modifier_groups: Groups | UnsetType = UNSET


class ItemOut(msgspec.Struct, frozen=True):
    id: int
    category_id: int
    name: str
    description: str
    price: int
    available: bool
    tags: list[str]
    image_id: str | None
    image: MenuImage | None
    position: int
    modifier_groups: list[MenuGroup]


#: every id of the set being reordered, once each, in the new order
ReorderIds = Annotated[list[Id], Meta(max_length=2000)]


class CategoryReorder(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Every category id, in the new order."""

    ids: ReorderIds


class ItemReorder(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Every item id of one category, in the new order."""

    category_id: Id
    ids: ReorderIds
