"""Reading the menu from a tenant's schema and publishing its changes."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from stelly_core.events import enqueue_event

from stelly_menu.domain.menu.cache import encode_menu
from stelly_menu.domain.menu.schemas import (
    Menu,
    MenuCategory,
    MenuGroup,
    MenuImage,
    MenuItem,
    MenuOption,
)

if TYPE_CHECKING:
    from stelly_core.db import Database, DbConnection
    from stelly_tenancy.models import Tenant

    from stelly_menu.domain.menu.cache import CachedMenu, MenuCache

__all__ = [
    "IMAGE_WIDTHS",
    "bump_menu_version",
    "image_ref",
    "load_groups",
    "load_menu",
    "menu_changed",
    "menu_version",
    "published_menu",
]

_log = logging.getLogger("stelly.menu")

IMAGE_WIDTHS = (320, 640, 1280)


def image_ref(
    assets_base_url: str | None, tenant_id: int, image_id: str | None
) -> MenuImage | None:
    """The public variants of an image, where the media worker writes them (SPEC §3 Media).

    The media worker names the ``{tenant}`` path segment by tenant id (docs/decisions.md).
    """
    if image_id is None:
        return None
    base = (assets_base_url or "/assets").rstrip("/")
    return MenuImage(
        id=image_id,
        variants={str(w): f"{base}/{tenant_id}/images/{image_id}/w{w}.webp" for w in IMAGE_WIDTHS},
    )


async def menu_version(conn: DbConnection) -> int:
    """The current menu version of the tenant whose schema is selected."""
    version: int = await conn.fetchval("SELECT menu_version FROM store_settings WHERE id = 1")
    return version


async def bump_menu_version(conn: DbConnection, tenant_id: int) -> int:
    """Record a menu change in the caller's transaction and queue ``menu.updated``.

    Returns:
        The new version.
    """
    version: int = await conn.fetchval(
        "UPDATE store_settings SET menu_version = menu_version + 1, updated_at = now()"
        " WHERE id = 1 RETURNING menu_version"
    )
    await enqueue_event(conn, tenant_id, "menu", "menu.updated", {"version": version})
    return version


async def load_groups(conn: DbConnection, item_ids: list[int]) -> dict[int, list[MenuGroup]]:
    """The modifier groups of these items, with their options, in display order."""
    if not item_ids:
        return {}
    groups = await conn.fetch(
        "SELECT id, item_id, name, min, max FROM modifier_groups"
        " WHERE item_id = ANY($1::bigint[]) ORDER BY position, id",
        item_ids,
    )
    options = await conn.fetch(
        "SELECT o.id, o.group_id, o.name, o.price FROM modifier_options o"
        " JOIN modifier_groups g ON g.id = o.group_id"
        " WHERE g.item_id = ANY($1::bigint[]) ORDER BY o.position, o.id",
        item_ids,
    )
    by_group: dict[int, list[MenuOption]] = defaultdict(list)
    for o in options:
        by_group[o["group_id"]].append(MenuOption(id=o["id"], name=o["name"], price=o["price"]))
    result: dict[int, list[MenuGroup]] = defaultdict(list)
    for g in groups:
        result[g["item_id"]].append(
            MenuGroup(
                id=g["id"], name=g["name"], min=g["min"], max=g["max"], options=by_group[g["id"]]
            )
        )
    return result


async def load_menu(
    conn: DbConnection, *, currency: str, tenant_id: int, assets_base_url: str | None
) -> Menu:
    """The whole menu of the tenant whose schema is selected, as published."""
    version = await menu_version(conn)
    categories = await conn.fetch("SELECT id, name, position FROM categories ORDER BY position, id")
    items = await conn.fetch(
        "SELECT id, category_id, name, description, price, available, tags, image_id"
        " FROM items ORDER BY position, id"
    )
    groups = await load_groups(conn, [r["id"] for r in items])
    by_category: dict[int, list[MenuItem]] = defaultdict(list)
    for r in items:
        by_category[r["category_id"]].append(
            MenuItem(
                id=r["id"],
                name=r["name"],
                description=r["description"],
                price=r["price"],
                available=r["available"],
                tags=list(r["tags"]),
                image=image_ref(assets_base_url, tenant_id, r["image_id"]),
                modifier_groups=groups.get(r["id"], []),
            )
        )
    return Menu(
        version=version,
        currency=currency,
        categories=[
            MenuCategory(
                id=c["id"], name=c["name"], position=c["position"], items=by_category[c["id"]]
            )
            for c in categories
        ],
    )


async def published_menu(
    db: Database, cache: MenuCache, tenant: Tenant, assets_base_url: str | None
) -> CachedMenu:
    """The tenant's menu as served: from Redis, else built from the database.

    A Redis failure never fails the read; the menu is then built from the
    database (and Redis is skipped for a moment).
    """
    use_cache = cache.available
    if use_cache:
        try:
            hit = await cache.get(tenant.id)
        except (RedisError, OSError) as exc:
            _log.warning("menu cache unavailable, reading the database: %s", exc)
            cache.failed()
            use_cache = False
        else:
            if hit is not None:
                return hit
    async with db.tenant(tenant.schema) as conn:
        menu = await load_menu(
            conn, currency=tenant.currency, tenant_id=tenant.id, assets_base_url=assets_base_url
        )
    encoded = encode_menu(menu)
    if use_cache:
        try:
            await cache.put(tenant.id, encoded)
        except (RedisError, OSError) as exc:
            _log.warning("menu cache not filled: %s", exc)
            cache.failed()
    return encoded


async def menu_changed(cache: MenuCache, tenant_id: int, version: int) -> None:
    """After a menu change committed: make every replica's next read see it.

    If Redis is unreachable now the cached payload expires on its own
    (:data:`~stelly_menu.domain.menu.cache.PAYLOAD_TTL`).
    """
    try:
        await cache.invalidate(tenant_id, version)
    except (RedisError, OSError) as exc:
        _log.warning("menu cache not invalidated (expires by TTL): %s", exc)
        cache.failed()
