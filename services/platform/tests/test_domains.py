"""Custom domains: DNS proof (a fake resolver: no test may use the Internet's DNS), serving, removal."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from stelly_core.db import Database
from stelly_platform.domain.domains.dns import DnsLookupFailed
from stelly_tenancy.registry import fetch_by_domain

from .conftest import Admin, Client, FakeDns, Replica


async def _tenant(client: Client, admin: Admin, slug: str) -> None:
    response = await client.post(
        "/api/v1/platform/tenants", json={"slug": slug, "name": slug.title()}, headers=admin.headers
    )
    assert response.status_code == 201, response.text


def _domains(slug: str) -> str:
    return f"/api/v1/platform/tenants/{slug}/domains"


async def _add(client: Client, admin: Admin, slug: str, domain: str) -> dict[str, Any]:
    response = await client.post(_domains(slug), json={"domain": domain}, headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _txt(body: dict[str, Any]) -> dict[str, str]:
    return {r["name"]: r["value"] for r in body["records"] if r["type"] == "TXT"}


@pytest.fixture
def domain() -> str:
    return f"shop-{secrets.token_hex(4)}.example.com"


async def test_an_added_domain_is_pending_with_its_dns_records(
    client: Client, admin: Admin, db: Database, new_slug: Callable[[], str], domain: str
) -> None:
    slug = new_slug()
    await _tenant(client, admin, slug)
    body = await _add(client, admin, slug, domain.upper() + ".")
    assert body["domain"] == domain
    assert body["status"] == "pending" and body["reason"] is None
    assert {"type": "CNAME", "name": domain, "value": "localhost"} in body["records"]
    token = _txt(body)[f"_stelly-challenge.{domain}"]
    assert len(token) >= 24
    assert await fetch_by_domain(db.pool, domain) is None, "a pending domain never serves"
    # the same tenant adding it again gets the same domain back
    again = await client.post(_domains(slug), json={"domain": domain}, headers=admin.headers)
    assert again.status_code == 200 and _txt(again.json()) == _txt(body)
    listed = await client.get(_domains(slug), headers=admin.headers)
    assert [d["domain"] for d in listed.json()] == [domain]


async def test_a_domain_taken_by_another_tenant_is_a_409(
    client: Client, admin: Admin, new_slug: Callable[[], str], domain: str
) -> None:
    first, second = new_slug(), new_slug()
    await _tenant(client, admin, first)
    await _tenant(client, admin, second)
    await _add(client, admin, first, domain)
    taken = await client.post(_domains(second), json={"domain": domain}, headers=admin.headers)
    assert taken.status_code == 409 and taken.json()["code"] == "domain_taken"
    # nor can the other tenant see, verify or remove it
    for method, path in (
        ("POST", f"{_domains(second)}/{domain}/verify"),
        ("DELETE", f"{_domains(second)}/{domain}"),
    ):
        response = await client.request(method, path, headers=admin.headers)
        assert response.status_code == 404 and response.json()["code"] == "domain_not_found"


async def test_stelly_names_and_bad_names_are_refused(
    client: Client, admin: Admin, new_slug: Callable[[], str]
) -> None:
    slug, other = new_slug(), new_slug()
    await _tenant(client, admin, slug)
    await _tenant(client, admin, other)
    for name in ("console.localhost", "api.localhost", f"{other}.localhost", f"{slug}.localhost"):
        response = await client.post(_domains(slug), json={"domain": name}, headers=admin.headers)
        assert response.status_code == 422, (name, response.text)
        assert response.json()["code"] == "domain_not_allowed"
    for name in ("localhost", "no_underscores.example", "-x.example", "a" * 70 + ".example"):
        response = await client.post(_domains(slug), json={"domain": name}, headers=admin.headers)
        assert response.status_code == 422, (name, response.text)
        assert response.json()["code"] in ("invalid_domain", "domain_not_allowed")
    unknown = await client.post(
        _domains("nosuchtenant"), json={"domain": "a.example"}, headers=admin.headers
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "tenant_not_found"


async def test_a_missing_or_wrong_txt_leaves_it_pending_with_the_reason(
    client: Client,
    admin: Admin,
    db: Database,
    fake_dns: FakeDns,
    new_slug: Callable[[], str],
    domain: str,
) -> None:
    slug = new_slug()
    await _tenant(client, admin, slug)
    token = _txt(await _add(client, admin, slug, domain))[f"_stelly-challenge.{domain}"]
    verify = f"{_domains(slug)}/{domain}/verify"
    name = f"_stelly-challenge.{domain}"
    for answer, reason in (
        ([], "txt_missing"),
        (["v=spf1 -all", "someone-elses-token"], "txt_mismatch"),
        (DnsLookupFailed("SERVFAIL"), "dns_error"),
    ):
        fake_dns.records[name] = answer
        response = await client.post(verify, headers=admin.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["reason"]) == ("pending", reason)
        assert body["last_checked_at"] is not None
        assert await fetch_by_domain(db.pool, domain) is None
    fake_dns.records[name] = ["unrelated", token]
    proven = await client.post(verify, headers=admin.headers)
    assert proven.json()["status"] == "verified" and proven.json()["reason"] is None
    assert proven.json()["verified_at"] is not None
    served = await fetch_by_domain(db.pool, domain)
    assert served is not None and served.slug == slug


async def test_verified_serves_within_seconds_and_removal_stops_it(
    client: Client,
    admin: Admin,
    replica: Replica,
    fake_dns: FakeDns,
    new_slug: Callable[[], str],
    domain: str,
) -> None:
    slug = new_slug()
    await _tenant(client, admin, slug)
    token = _txt(await _add(client, admin, slug, domain))[f"_stelly-challenge.{domain}"]
    assert await replica.resolver.resolve(domain) is None  # now cached as unknown for 300 s
    fake_dns.records[f"_stelly-challenge.{domain}"] = [token]
    response = await client.post(f"{_domains(slug)}/{domain}/verify", headers=admin.headers)
    assert response.json()["status"] == "verified"
    tenant = await replica.eventually(domain, lambda t: t is not None)
    assert tenant is not None and tenant.slug == slug
    removed = await client.delete(f"{_domains(slug)}/{domain}", headers=admin.headers)
    assert removed.status_code == 204
    await replica.eventually(domain, lambda t: t is None)
    again = await client.delete(f"{_domains(slug)}/{domain}", headers=admin.headers)
    assert again.status_code == 404 and again.json()["code"] == "domain_not_found"


async def test_a_localhost_domain_verifies_at_once_in_development(
    client: Client,
    admin: Admin,
    replica: Replica,
    fake_dns: FakeDns,
    new_slug: Callable[[], str],
) -> None:
    slug = new_slug()
    await _tenant(client, admin, slug)
    local = f"{slug}-town.localhost"
    await _add(client, admin, slug, local)
    asked = len(fake_dns.asked)
    response = await client.post(f"{_domains(slug)}/{local}/verify", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["status"] == "verified"
    assert len(fake_dns.asked) == asked, "no DNS lookup for *.localhost"
    # a name under the base domain that no slug claims: the verified domain
    tenant = await replica.eventually(local, lambda t: t is not None)
    assert tenant is not None and tenant.slug == slug
