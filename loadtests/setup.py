"""Tenants, staff tokens and menus for the load: the demo tenants plus a few more."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from loadtests.images import png_bytes
from loadtests.scenarios import Context, Tenant
from loadtests.stack import ROOT, LocalStack

__all__ = ["prepare"]

DEMO = ("pizza", "burger")
PASSWORD = "stelly-demo"  # noqa: S105 - the demo owners' documented password
EXTRA_PASSWORD = "loadtest-owner-password"  # noqa: S105 - local throwaway tenants only


def _create_tenant(stack: LocalStack, slug: str) -> None:
    env = stack.env() | {"STELLY_OWNER_PASSWORD": EXTRA_PASSWORD}
    subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "stelly_cli", "tenant", "create", slug, "--name", f"Load {slug}",
         "--owner-email", f"owner@{slug}.demo"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def _login(client: httpx.Client, context: Context, slug: str, password: str) -> str:
    response = client.post(
        "/api/v1/auth/token",
        headers=context.headers(slug),
        json={"email": f"owner@{slug}.demo", "password": password},
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _fill_menu(client: httpx.Client, context: Context, tenant: Tenant) -> None:
    auth = context.headers(tenant.slug) | {"authorization": f"Bearer {tenant.staff_token}"}
    category = client.post("/api/v1/admin/categories", headers=auth, json={"name": "Mains"})
    category.raise_for_status()
    for n, price in enumerate((950, 1200, 1450)):
        client.post(
            "/api/v1/admin/items",
            headers=auth,
            json={
                "category_id": category.json()["id"],
                "name": f"Dish {n + 1}",
                "price": price,
                "description": "A dish of the load test.",
                "tags": ["load"],
            },
        ).raise_for_status()


def prepare(stack: LocalStack, extra_tenants: int) -> Context:
    """Create ``extra_tenants`` more tenants with small menus; log every owner in."""
    slugs = [f"load{n:02d}" for n in range(1, extra_tenants + 1)]
    for slug in slugs:
        _create_tenant(stack, slug)
    context = Context(stack.frontdoor_id, [], image=png_bytes())
    with httpx.Client(base_url=stack.url("menu"), timeout=30) as client:
        for slug in DEMO:
            tenant = Tenant(slug, staff_token=_login(client, context, slug, PASSWORD))
            menu = client.get("/api/v1/store/menu", headers=context.headers(slug)).json()
            tenant.orderable = [
                item["id"]
                for category in menu["categories"]
                for item in category["items"]
                if item["available"] and all(g["min"] == 0 for g in item["modifier_groups"])
            ]
            context.tenants.append(tenant)
        for slug in slugs:
            tenant = Tenant(slug, staff_token=_login(client, context, slug, EXTRA_PASSWORD))
            _fill_menu(client, context, tenant)
            context.tenants.append(tenant)
    if not context.ordering():
        raise RuntimeError("no demo tenant has an item that can be ordered without modifiers")
    os.environ.setdefault("MPLBACKEND", "Agg")
    return context
