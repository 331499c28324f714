"""The published menu (``GET /api/v1/store/menu``, SPEC §3)."""

from __future__ import annotations

import msgspec

__all__ = ["Menu", "MenuCategory", "MenuGroup", "MenuImage", "MenuItem", "MenuOption"]


class MenuOption(msgspec.Struct, frozen=True):
    id: int
    name: str
    price: int


class MenuGroup(msgspec.Struct, frozen=True):
    id: int
    name: str
    min: int
    max: int
    options: list[MenuOption]


class MenuImage(msgspec.Struct, frozen=True):
    id: str
    variants: dict[str, str]


class MenuItem(msgspec.Struct, frozen=True):
    id: int
    name: str
    description: str
    price: int
    available: bool
    tags: list[str]
    image: MenuImage | None
    modifier_groups: list[MenuGroup]


class MenuCategory(msgspec.Struct, frozen=True):
    id: int
    name: str
    position: int
    items: list[MenuItem]


class Menu(msgspec.Struct, frozen=True):
    version: int
    currency: str
    categories: list[MenuCategory]
