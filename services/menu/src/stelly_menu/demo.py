"""Demo menus for ``stelly seed-demo`` (entry point ``stelly.demo``: ``menu``).

Idempotent: a tenant whose menu already has categories is left alone. The
demo stores are open around the clock (no opening hours).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stelly_menu.domain.menu.services import bump_menu_version

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from stelly_core.db import Database, DbConnection
    from stelly_tenancy.models import Tenant

__all__ = ["DEMO_MENUS", "insert_category", "seed"]

Item = dict[str, Any]

_SIZE = {"name": "Size", "min": 1, "max": 1, "options": [("Regular", 0), ("Large", 300)]}
_PIZZA_EXTRAS = {
    "name": "Extra toppings",
    "min": 0,
    "max": 4,
    "options": [
        ("Buffalo mozzarella", 250),
        ("Prosciutto", 300),
        ("Mushrooms", 150),
        ("Olives", 100),
        ("Chili oil", 50),
    ],
}
_PATTY = {
    "name": "Patty",
    "min": 1,
    "max": 1,
    "options": [("Beef", 0), ("Chicken", 0), ("Plant-based", 100)],
}
_DONENESS = {"name": "Doneness", "min": 0, "max": 1, "options": [("Medium", 0), ("Well done", 0)]}
_BURGER_EXTRAS = {
    "name": "Extras",
    "min": 0,
    "max": 3,
    "options": [("Bacon", 150), ("Cheddar", 100), ("Jalapeños", 75), ("Fried egg", 125)],
}
_DIP = {
    "name": "Dip",
    "min": 0,
    "max": 2,
    "options": [("Ketchup", 0), ("Chipotle mayo", 50), ("Ranch", 50)],
}

DEMO_MENUS: dict[str, list[tuple[str, list[Item]]]] = {
    "pizza": [
        (
            "Antipasti",
            [
                {
                    "name": "Bruschetta",
                    "description": "Grilled bread, tomatoes, basil, garlic",
                    "price": 650,
                    "tags": ["vegetarian", "vegan"],
                },
                {
                    "name": "Burrata",
                    "description": "Creamy burrata, cherry tomatoes, pesto",
                    "price": 1100,
                    "tags": ["vegetarian"],
                },
                {
                    "name": "Arancini",
                    "description": "Saffron rice balls with ragù",
                    "price": 750,
                    "available": False,
                },
            ],
        ),
        (
            "Pizze",
            [
                {
                    "name": "Margherita",
                    "description": "Tomato, fior di latte, basil",
                    "price": 900,
                    "tags": ["vegetarian", "classic"],
                    "groups": [_SIZE, _PIZZA_EXTRAS],
                },
                {
                    "name": "Diavola",
                    "description": "Tomato, mozzarella, spicy salami",
                    "price": 1150,
                    "tags": ["spicy"],
                    "groups": [_SIZE, _PIZZA_EXTRAS],
                },
                {
                    "name": "Quattro formaggi",
                    "description": "Mozzarella, gorgonzola, fontina, parmigiano",
                    "price": 1250,
                    "tags": ["vegetarian"],
                    "groups": [_SIZE],
                },
                {
                    "name": "Capricciosa",
                    "description": "Ham, mushrooms, artichokes, olives",
                    "price": 1300,
                    "groups": [_SIZE, _PIZZA_EXTRAS],
                },
            ],
        ),
        (
            "Dolci",
            [
                {
                    "name": "Tiramisù",
                    "description": "Mascarpone, espresso, cocoa",
                    "price": 650,
                    "tags": ["vegetarian"],
                },
                {
                    "name": "Panna cotta",
                    "description": "With berry coulis",
                    "price": 600,
                    "tags": ["vegetarian", "gluten-free"],
                },
            ],
        ),
        (
            "Bevande",
            [
                {"name": "San Pellegrino 0.5 l", "description": "", "price": 300},
                {"name": "Chinotto", "description": "", "price": 350},
                {
                    "name": "Birra Moretti",
                    "description": "0.33 l",
                    "price": 450,
                    "tags": ["alcohol"],
                },
            ],
        ),
    ],
    "burger": [
        (
            "Burgers",
            [
                {
                    "name": "Classic Burger",
                    "description": "Lettuce, tomato, pickles, house sauce",
                    "price": 1099,
                    "tags": ["classic"],
                    "groups": [_PATTY, _DONENESS, _BURGER_EXTRAS],
                },
                {
                    "name": "Smoky BBQ",
                    "description": "Onion rings, cheddar, BBQ sauce",
                    "price": 1299,
                    "groups": [_PATTY, _DONENESS, _BURGER_EXTRAS],
                },
                {
                    "name": "Hot Honey Chicken",
                    "description": "Crispy chicken, hot honey, slaw",
                    "price": 1199,
                    "tags": ["spicy"],
                    "groups": [_BURGER_EXTRAS],
                },
                {
                    "name": "Truffle Burger",
                    "description": "Truffle mayo, mushrooms, swiss",
                    "price": 1599,
                    "available": False,
                    "groups": [_PATTY, _DONENESS],
                },
            ],
        ),
        (
            "Sides",
            [
                {
                    "name": "Fries",
                    "description": "Skin-on, sea salt",
                    "price": 399,
                    "tags": ["vegan"],
                    "groups": [_DIP],
                },
                {
                    "name": "Sweet Potato Fries",
                    "description": "",
                    "price": 499,
                    "tags": ["vegan"],
                    "groups": [_DIP],
                },
                {
                    "name": "Onion Rings",
                    "description": "Beer-battered",
                    "price": 499,
                    "tags": ["vegetarian"],
                },
            ],
        ),
        (
            "Shakes & Drinks",
            [
                {"name": "Vanilla Shake", "description": "", "price": 599, "tags": ["vegetarian"]},
                {
                    "name": "Chocolate Shake",
                    "description": "",
                    "price": 599,
                    "tags": ["vegetarian"],
                },
                {
                    "name": "Lemonade",
                    "description": "Fresh squeezed",
                    "price": 349,
                    "tags": ["vegan"],
                },
                {"name": "Cola", "description": "", "price": 249},
            ],
        ),
    ],
}


async def insert_category(
    conn: DbConnection, name: str, position: int, items: Sequence[Mapping[str, Any]]
) -> None:
    """Insert one category of a demo menu with its items, modifier groups and options.

    Runs in the caller's tenant transaction; the caller bumps the menu version.
    """
    category_id = await conn.fetchval(
        "INSERT INTO categories (name, position) VALUES ($1, $2) RETURNING id", name, position
    )
    for ipos, item in enumerate(items):
        item_id = await conn.fetchval(
            "INSERT INTO items (category_id, name, description, price, available, tags,"
            " position) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            category_id,
            item["name"],
            item["description"],
            item["price"],
            item.get("available", True),
            item.get("tags", []),
            ipos,
        )
        for gpos, group in enumerate(item.get("groups", [])):
            group_id = await conn.fetchval(
                "INSERT INTO modifier_groups (item_id, name, min, max, position)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                item_id,
                group["name"],
                group["min"],
                group["max"],
                gpos,
            )
            await conn.executemany(
                "INSERT INTO modifier_options (group_id, name, price, position)"
                " VALUES ($1, $2, $3, $4)",
                [(group_id, n, p, opos) for opos, (n, p) in enumerate(group["options"])],
            )


async def seed(db: Database, tenant: Tenant) -> None:
    """Write the demo menu of a demo tenant once; other tenants are left alone."""
    menu = DEMO_MENUS.get(tenant.slug)
    if menu is None:
        return
    async with db.tenant(tenant.schema) as conn:
        # Serialise concurrent seeders of this tenant; the check then sees the first one's rows.
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext('stelly-menu-demo'), $1)", tenant.id
        )
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM categories)"):
            return
        await conn.execute("UPDATE store_settings SET opening_hours = NULL WHERE id = 1")
        for cpos, (category, items) in enumerate(menu):
            await insert_category(conn, category, cpos, items)
        await bump_menu_version(conn, tenant.id)
