"""Custom domains on Azure Front Door, against a FAKE of azure-mgmt-cdn's async client.

Azure cannot be reached from a test: :class:`~.conftest.FakeCdnClient` keeps
custom domains and the routes' domain lists in memory and records each call,
so these tests show what the service asks of Front Door and in which order.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from httpx import Response
from litestar.testing import AsyncTestClient
from stelly_core.auth import PasswordHashing
from stelly_core.db import Database
from stelly_core.settings import Settings
from stelly_platform.app import create_app
from stelly_platform.config import PlatformConfig
from stelly_platform.domain.domains.frontdoor import AzureFrontDoor, resource_name
from stelly_tenancy.registry import fetch_by_domain

from .conftest import Admin, Client, FakeCdnClient, FakeDns

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
WILDCARD = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-stelly/providers/Microsoft.Cdn"
    "/profiles/afd-stelly/customDomains/wildcard"
)
ENVIRON = {
    "STELLY_FRONTDOOR_PROFILE_ID": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-stelly"
    "/providers/Microsoft.Cdn/profiles/afd-stelly",
    "STELLY_FRONTDOOR_ENDPOINT_NAME": "fde-stelly",
    "STELLY_FRONTDOOR_ENDPOINT_HOST": "fde-stelly-abc123.z01.azurefd.net",
    "STELLY_FRONTDOOR_ROUTES": "media,api,realtime,web",
}


@pytest.fixture
async def azure(
    settings: Settings, fake_dns: FakeDns, hasher: PasswordHashing
) -> AsyncIterator[tuple[Client, FakeCdnClient]]:
    cdn = FakeCdnClient(
        {name: [WILDCARD] for name in ("media", "api", "realtime", "web", "console-api")}
    )
    config = PlatformConfig.from_environ(settings, ENVIRON)
    assert config.frontdoor is not None
    frontdoor = AzureFrontDoor(config.frontdoor, client=cdn)
    app = create_app(settings, environ=ENVIRON, dns=fake_dns, frontdoor=frontdoor, hasher=hasher)
    async with AsyncTestClient(app) as client:
        yield client, cdn


async def _pending(
    client: Client, admin: Admin, slug: str, domain: str, fake_dns: FakeDns
) -> dict[str, Any]:
    created = await client.post(
        "/api/v1/platform/tenants", json={"slug": slug, "name": "Azure"}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    added = await client.post(
        f"/api/v1/platform/tenants/{slug}/domains", json={"domain": domain}, headers=admin.headers
    )
    assert added.status_code == 201, added.text
    body: dict[str, Any] = added.json()
    assert {
        "type": "CNAME",
        "name": domain,
        "value": ENVIRON["STELLY_FRONTDOOR_ENDPOINT_HOST"],
    } in (body["records"])
    challenge = f"_stelly-challenge.{domain}"
    fake_dns.records[challenge] = [r["value"] for r in body["records"] if r["name"] == challenge]
    return body


async def _verify(client: Client, admin: Admin, slug: str, domain: str) -> Response:
    """Ask the platform to verify the tenant's domain (the DNS proof, then Front Door)."""
    return await client.post(
        f"/api/v1/platform/tenants/{slug}/domains/{domain}/verify", headers=admin.headers
    )


async def test_verify_creates_the_domain_with_a_managed_certificate_on_the_tenant_routes(
    azure: tuple[Client, FakeCdnClient],
    admin: Admin,
    db: Database,
    fake_dns: FakeDns,
    new_slug: Callable[[], str],
) -> None:
    client, cdn = azure
    slug, domain = new_slug(), f"order-{secrets.token_hex(3)}.example.com"
    await _pending(client, admin, slug, domain, fake_dns)
    assert cdn.calls == [], "nothing reaches Front Door before the DNS proof"
    response = await _verify(client, admin, slug, domain)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "verified"
    name = resource_name(domain)
    assert cdn.calls[0] == ("create_domain", name, domain, "ManagedCertificate", "TLS12")
    domain_id = cdn.domains[name]["id"]
    for route in ("media", "api", "realtime", "web"):
        # added to what the route had (the wildcard), nothing dropped
        assert cdn.route_domains[route][0] == WILDCARD, route
        assert cdn.route_domains[route][-1] == domain_id, route
    assert cdn.route_domains["console-api"] == [WILDCARD], "the console's route is left alone"
    # Front Door's own validation record, and the certificate's state
    assert {"type": "TXT", "name": f"_dnsauth.{domain}", "value": f"afd-token-{name}"} in (
        body["records"]
    )
    assert body["certificate"] == {"state": "pending", "deployment_status": "not_started"}
    assert await fetch_by_domain(db.pool, domain) is not None
    # verifying again refreshes the certificate's state from Front Door
    cdn.domains[name]["domain_validation_state"] = "Approved"
    cdn.domains[name]["deployment_status"] = "Succeeded"
    again = await _verify(client, admin, slug, domain)
    assert again.json()["certificate"] == {"state": "approved", "deployment_status": "succeeded"}


async def test_removal_dissociates_then_deletes(
    azure: tuple[Client, FakeCdnClient],
    admin: Admin,
    db: Database,
    fake_dns: FakeDns,
    new_slug: Callable[[], str],
) -> None:
    client, cdn = azure
    slug, domain = new_slug(), f"bye-{secrets.token_hex(3)}.example.com"
    await _pending(client, admin, slug, domain, fake_dns)
    await _verify(client, admin, slug, domain)
    cdn.calls.clear()
    removed = await client.delete(
        f"/api/v1/platform/tenants/{slug}/domains/{domain}", headers=admin.headers
    )
    assert removed.status_code == 204, removed.text
    name = resource_name(domain)
    updates = [c for c in cdn.calls if c[0] == "update_route"]
    assert {c[2] for c in updates} == {"media", "api", "realtime", "web"}
    for update in updates:  # only this domain leaves the routes
        assert WILDCARD in update[3:]
        assert not any(ref.endswith(f"/customDomains/{name}") for ref in update[3:])
    assert cdn.calls[-1] == ("delete_domain", name), "deleted after every route let go"
    assert name not in cdn.domains
    assert await fetch_by_domain(db.pool, domain) is None


async def test_a_front_door_failure_leaves_it_pending(
    azure: tuple[Client, FakeCdnClient],
    admin: Admin,
    db: Database,
    fake_dns: FakeDns,
    new_slug: Callable[[], str],
) -> None:
    client, cdn = azure
    slug, domain = new_slug(), f"fail-{secrets.token_hex(3)}.example.com"
    await _pending(client, admin, slug, domain, fake_dns)
    cdn.fail = True
    response = await _verify(client, admin, slug, domain)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("pending", "frontdoor_error")
    assert await fetch_by_domain(db.pool, domain) is None


async def test_a_restart_puts_verified_domains_back_on_routes_a_deployment_rewrote(
    azure: tuple[Client, FakeCdnClient],
    admin: Admin,
    settings: Settings,
    fake_dns: FakeDns,
    hasher: PasswordHashing,
    new_slug: Callable[[], str],
) -> None:
    client, cdn = azure
    slug, domain = new_slug(), f"keep-{secrets.token_hex(3)}.example.com"
    await _pending(client, admin, slug, domain, fake_dns)
    await _verify(client, admin, slug, domain)
    domain_id = cdn.domains[resource_name(domain)]["id"]
    # `azd provision` writes each route's domains from Bicep: the wildcard only
    for route in cdn.route_domains:
        cdn.route_domains[route] = [WILDCARD]
    config = PlatformConfig.from_environ(settings, ENVIRON)
    assert config.frontdoor is not None
    restarted = create_app(
        settings,
        environ=ENVIRON,
        dns=fake_dns,
        frontdoor=AzureFrontDoor(config.frontdoor, client=cdn),
        hasher=hasher,
    )
    async with AsyncTestClient(restarted):
        for _ in range(100):
            if all(domain_id in cdn.route_domains[r] for r in ("media", "api", "realtime", "web")):
                break
            await asyncio.sleep(0.05)
    for route in ("media", "api", "realtime", "web"):
        assert domain_id in cdn.route_domains[route], route
        assert cdn.route_domains[route][0] == WILDCARD
    assert cdn.route_domains["console-api"] == [WILDCARD]
