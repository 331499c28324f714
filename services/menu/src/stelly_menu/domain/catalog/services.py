"""Editing the menu: categories, items and their modifier groups.

Every change bumps the menu version and queues ``menu.updated`` in its own
transaction; once it has committed the menu cache is told, so the next read
on any replica sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import asyncpg
from msgspec import UNSET
from stelly_core.errors import ProblemError

from stelly_menu.domain.catalog.schemas import (
    CategoryCreate,
    CategoryOut,
    CategoryPatch,
    GroupIn,
    ItemCreate,
    ItemOut,
    ItemPatch,
)
from stelly_menu.domain.menu.services import bump_menu_version, image_ref, load_groups, menu_changed
from stelly_menu.errors import field_problem

if TYPE_CHECKING:
    from collections.abc import Sequence

    from stelly_core.db import DbConnection
    from stelly_tenancy.models import Tenant

    from stelly_menu.runtime import MenuRuntime

__all__ = [
    "create_category",
    "create_item",
    "delete_category",
    "delete_item",
    "get_item",
    "list_categories",
    "list_items",
    "reorder_categories",
    "reorder_items",
    "update_category",
    "update_item",
    "validate_groups",
]

_CATEGORY_NOT_FOUND = ProblemError(404, "category_not_found", "no such category")
_ITEM_NOT_FOUND = ProblemError(404, "item_not_found", "no such item")
_ITEM_COLUMNS = "id, category_id, name, description, price, available, tags, image_id, position"


def validate_groups(groups: Sequence[GroupIn]) -> None:
    """Check each group's min/max against its options.

    Each field is within its schema's bounds already; how they relate is
    what JSON Schema cannot say, so a mismatch is a 422 (well-formed, but
    inconsistent), like a category that does not exist.

    Raises:
        ProblemError: 422 ``invalid_modifier_group`` naming ``modifier_groups[i].min`` or ``.max``.
    """
    for i, group in enumerate(groups):
        if group.max < group.min:
            raise _group_problem(f"modifier_groups[{i}].max", "must be at least min")
        if group.min > len(group.options):
            raise _group_problem(f"modifier_groups[{i}].min", "is more than the options offered")
        if group.max > len(group.options):
            raise _group_problem(f"modifier_groups[{i}].max", "is more than the options offered")


def _group_problem(field: str, message: str) -> ProblemError:
    return field_problem(field, message, status=422, code="invalid_modifier_group")


async def _committed(runtime: MenuRuntime, tenant: Tenant, version: int) -> None:
    await menu_changed(runtime.cache, tenant.id, version)


# -- categories ---------------------------------------------------------------


def _category(row: asyncpg.Record) -> CategoryOut:
    return CategoryOut(row["id"], row["name"], row["position"], row["item_count"])


_CATEGORY_SELECT = (
    "SELECT c.id, c.name, c.position,"
    " (SELECT count(*) FROM items i WHERE i.category_id = c.id)::int AS item_count"
    " FROM categories c"
)


async def list_categories(runtime: MenuRuntime, tenant: Tenant) -> list[CategoryOut]:
    async with runtime.db.tenant(tenant.schema) as conn:
        rows = await conn.fetch(_CATEGORY_SELECT + " ORDER BY c.position, c.id")
    return [_category(r) for r in rows]


async def create_category(
    runtime: MenuRuntime, tenant: Tenant, data: CategoryCreate
) -> CategoryOut:
    async with runtime.db.tenant(tenant.schema) as conn:
        new_id = await conn.fetchval(
            "INSERT INTO categories (name, position) VALUES ($1, $2) RETURNING id",
            data.name,
            data.position,
        )
        row = await conn.fetchrow(_CATEGORY_SELECT + " WHERE c.id = $1", new_id)
        version = await bump_menu_version(conn, tenant.id)
    await _committed(runtime, tenant, version)
    assert row is not None
    return _category(row)


async def update_category(
    runtime: MenuRuntime, tenant: Tenant, category_id: int, data: CategoryPatch
) -> CategoryOut:
    changes = {
        k: v for k, v in (("name", data.name), ("position", data.position)) if v is not UNSET
    }
    async with runtime.db.tenant(tenant.schema) as conn:
        if changes:
            sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(changes, start=2))
            found = await conn.fetchval(
                f"UPDATE categories SET {sets}, updated_at = now() WHERE id = $1 RETURNING id",  # noqa: S608 - fixed names
                category_id,
                *changes.values(),
            )
        else:
            found = await conn.fetchval("SELECT id FROM categories WHERE id = $1", category_id)
        if found is None:
            raise _CATEGORY_NOT_FOUND
        row = await conn.fetchrow(_CATEGORY_SELECT + " WHERE c.id = $1", category_id)
        version = await bump_menu_version(conn, tenant.id) if changes else None
    if version is not None:
        await _committed(runtime, tenant, version)
    assert row is not None
    return _category(row)


async def delete_category(runtime: MenuRuntime, tenant: Tenant, category_id: int) -> None:
    """Delete an empty category.

    Raises:
        ProblemError: 404 ``category_not_found``; 409 ``category_not_empty``
            while items are in it (move or delete them first).
    """
    try:
        async with runtime.db.tenant(tenant.schema) as conn:
            found = await conn.fetchval(
                "DELETE FROM categories WHERE id = $1 RETURNING id", category_id
            )
            if found is None:
                raise _CATEGORY_NOT_FOUND
            version = await bump_menu_version(conn, tenant.id)
    except (asyncpg.RestrictViolationError, asyncpg.ForeignKeyViolationError):
        raise ProblemError(
            409, "category_not_empty", "the category still has items; move or delete them first"
        ) from None
    await _committed(runtime, tenant, version)


def _check_same_set(current: Sequence[int], wanted: Sequence[int], what: str) -> None:
    if len(wanted) != len(set(wanted)) or set(wanted) != set(current):
        raise ProblemError(
            409,
            "reorder_mismatch",
            f"send every {what} id exactly once; the list differs from the current one"
            " (reload and try again)",
        )


_REORDER = (
    "UPDATE {table} t SET position = o.ord::int - 1, updated_at = now()"
    " FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, ord) WHERE t.id = o.id"
)


async def reorder_categories(
    runtime: MenuRuntime, tenant: Tenant, ids: Sequence[int]
) -> list[CategoryOut]:
    """Give the categories positions 0, 1, ... in this order (one menu version).

    Raises:
        ProblemError: 409 ``reorder_mismatch`` unless ``ids`` is exactly the current set.
    """
    async with runtime.db.tenant(tenant.schema) as conn:
        current = await conn.fetch("SELECT id FROM categories FOR UPDATE")
        _check_same_set([r["id"] for r in current], ids, "category")
        await conn.execute(_REORDER.format(table="categories"), list(ids))
        rows = await conn.fetch(_CATEGORY_SELECT + " ORDER BY c.position, c.id")
        version = await bump_menu_version(conn, tenant.id)
    await _committed(runtime, tenant, version)
    return [_category(r) for r in rows]


# -- items --------------------------------------------------------------------


async def _items(
    conn: DbConnection, tenant: Tenant, assets_base_url: str | None, where: str = "", *args: Any
) -> list[ItemOut]:
    rows = await conn.fetch(
        f"SELECT {_ITEM_COLUMNS} FROM items {where} ORDER BY position, id",  # noqa: S608 - fixed
        *args,
    )
    groups = await load_groups(conn, [r["id"] for r in rows])
    return [
        ItemOut(
            id=r["id"],
            category_id=r["category_id"],
            name=r["name"],
            description=r["description"],
            price=r["price"],
            available=r["available"],
            tags=list(r["tags"]),
            image_id=r["image_id"],
            image=image_ref(assets_base_url, tenant.id, r["image_id"]),
            position=r["position"],
            modifier_groups=groups.get(r["id"], []),
        )
        for r in rows
    ]


async def _one_item(
    conn: DbConnection, runtime: MenuRuntime, tenant: Tenant, item_id: int
) -> ItemOut:
    found = await _items(conn, tenant, runtime.settings.assets_base_url, "WHERE id = $1", item_id)
    if not found:
        raise _ITEM_NOT_FOUND
    return found[0]


async def list_items(
    runtime: MenuRuntime, tenant: Tenant, category_id: int | None
) -> list[ItemOut]:
    async with runtime.db.tenant(tenant.schema) as conn:
        if category_id is None:
            return await _items(conn, tenant, runtime.settings.assets_base_url)
        return await _items(
            conn, tenant, runtime.settings.assets_base_url, "WHERE category_id = $1", category_id
        )


async def get_item(runtime: MenuRuntime, tenant: Tenant, item_id: int) -> ItemOut:
    async with runtime.db.tenant(tenant.schema) as conn:
        return await _one_item(conn, runtime, tenant, item_id)


async def _write_groups(conn: DbConnection, item_id: int, groups: Sequence[GroupIn]) -> None:
    await conn.execute("DELETE FROM modifier_groups WHERE item_id = $1", item_id)
    for gpos, group in enumerate(groups):
        group_id = await conn.fetchval(
            "INSERT INTO modifier_groups (item_id, name, min, max, position)"
            " VALUES ($1, $2, $3, $4, $5) RETURNING id",
            item_id,
            group.name,
            group.min,
            group.max,
            gpos,
        )
        await conn.executemany(
            "INSERT INTO modifier_options (group_id, name, price, position) VALUES ($1, $2, $3, $4)",
            [(group_id, o.name, o.price, opos) for opos, o in enumerate(group.options)],
        )


async def _check_image(conn: DbConnection, image_id: str | None) -> None:
    """Accept only an image of this tenant (its own schema's ``images``) that is ready."""
    if image_id is None:
        return
    try:
        status = await conn.fetchval(
            "SELECT status FROM images WHERE id::text = $1", image_id.lower()
        )
    except asyncpg.UndefinedTableError:  # the media component is not installed
        status = None
    if status is None:
        raise field_problem("image_id", "no such image", status=422, code="image_not_found")
    if status != "ready":
        raise field_problem(
            "image_id", f"the image is {status}, not ready", status=422, code="image_not_ready"
        )


def _unknown_category() -> ProblemError:
    return field_problem("category_id", "no such category", status=422, code="unknown_category")


async def create_item(runtime: MenuRuntime, tenant: Tenant, data: ItemCreate) -> ItemOut:
    """Add an item with its modifier groups.

    Raises:
        ProblemError: 422 ``invalid_modifier_group``, ``unknown_category``.
    """
    validate_groups(data.modifier_groups)
    try:
        async with runtime.db.tenant(tenant.schema) as conn:
            await _check_image(conn, data.image_id)
            item_id = await conn.fetchval(
                "INSERT INTO items (category_id, name, description, price, available, tags,"
                " image_id, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                data.category_id,
                data.name,
                data.description,
                data.price,
                data.available,
                list(dict.fromkeys(data.tags)),
                data.image_id,
                data.position,
            )
            await _write_groups(conn, item_id, data.modifier_groups)
            item = await _one_item(conn, runtime, tenant, item_id)
            version = await bump_menu_version(conn, tenant.id)
    except asyncpg.ForeignKeyViolationError:
        raise _unknown_category() from None
    await _committed(runtime, tenant, version)
    return item


async def update_item(
    runtime: MenuRuntime, tenant: Tenant, item_id: int, data: ItemPatch, *, role: str
) -> ItemOut:
    """Apply a partial update; ``staff`` may change availability only.

    Raises:
        ProblemError: 403 ``insufficient_role``, 404 ``item_not_found``,
            422 ``invalid_modifier_group``, ``unknown_category``.
    """
    fields = {
        name: getattr(data, name)
        for name in (
            "category_id",
            "name",
            "price",
            "description",
            "available",
            "tags",
            "image_id",
            "position",
        )
        if getattr(data, name) is not UNSET
    }
    if "tags" in fields:
        fields["tags"] = list(dict.fromkeys(fields["tags"]))
    groups = data.modifier_groups
    if role == "staff" and (groups is not UNSET or set(fields) - {"available"}):
        raise ProblemError(403, "insufficient_role", "staff may only change an item's availability")
    if groups is not UNSET:
        validate_groups(groups)
    try:
        async with runtime.db.tenant(tenant.schema) as conn:
            if "image_id" in fields:
                await _check_image(conn, fields["image_id"])
            if fields:
                sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(fields, start=2))
                found = await conn.fetchval(
                    f"UPDATE items SET {sets}, updated_at = now() WHERE id = $1 RETURNING id",  # noqa: S608 - fixed names
                    item_id,
                    *fields.values(),
                )
            else:
                found = await conn.fetchval(
                    "SELECT id FROM items WHERE id = $1 FOR UPDATE", item_id
                )
            if found is None:
                raise _ITEM_NOT_FOUND
            if groups is not UNSET:
                await _write_groups(conn, item_id, groups)
            item = await _one_item(conn, runtime, tenant, item_id)
            changed = bool(fields) or groups is not UNSET
            version = await bump_menu_version(conn, tenant.id) if changed else None
    except asyncpg.ForeignKeyViolationError:
        raise _unknown_category() from None
    if version is not None:
        await _committed(runtime, tenant, version)
    return item


async def reorder_items(
    runtime: MenuRuntime, tenant: Tenant, category_id: int, ids: Sequence[int]
) -> list[ItemOut]:
    """Give one category's items positions 0, 1, ... in this order (one menu version).

    Raises:
        ProblemError: 404 ``category_not_found``; 409 ``reorder_mismatch``
            unless ``ids`` is exactly the category's current items.
    """
    async with runtime.db.tenant(tenant.schema) as conn:
        found = await conn.fetchval(
            "SELECT id FROM categories WHERE id = $1 FOR UPDATE", category_id
        )
        if found is None:
            raise _CATEGORY_NOT_FOUND
        current = await conn.fetch(
            "SELECT id FROM items WHERE category_id = $1 FOR UPDATE", category_id
        )
        _check_same_set([r["id"] for r in current], ids, "item")
        await conn.execute(_REORDER.format(table="items"), list(ids))
        items = await _items(
            conn, tenant, runtime.settings.assets_base_url, "WHERE category_id = $1", category_id
        )
        version = await bump_menu_version(conn, tenant.id)
    await _committed(runtime, tenant, version)
    return items


async def delete_item(runtime: MenuRuntime, tenant: Tenant, item_id: int) -> None:
    """Delete an item; past orders keep their snapshot of it."""
    async with runtime.db.tenant(tenant.schema) as conn:
        found = await conn.fetchval("DELETE FROM items WHERE id = $1 RETURNING id", item_id)
        if found is None:
            raise _ITEM_NOT_FOUND
        version = await bump_menu_version(conn, tenant.id)
    await _committed(runtime, tenant, version)
