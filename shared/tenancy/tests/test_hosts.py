from __future__ import annotations

import ipaddress

import pytest
from stelly_tenancy.hosts import EdgePolicy, judge_edge, normalize_host


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pizza.stelly.com", "pizza.stelly.com"),
        ("PIZZA.Stelly.Com", "pizza.stelly.com"),
        ("pizza.stelly.com:8080", "pizza.stelly.com"),
        ("pizza.stelly.com.", "pizza.stelly.com"),
        ("pizza.stelly.com.:443", "pizza.stelly.com"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("localhost", "localhost"),
    ],
)
def test_host_variants_normalise(raw: str, expected: str) -> None:
    assert normalize_host(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        " ",
        ".",
        "pizza..stelly.com",
        "pizza.stelly.com:http",
        "pizza.stelly.com:123456",
        "pizza stelly.com",
        "pizza.stelly.com/evil",
        "pizza@stelly.com",
        "bücher.example",
        "127.0.0.1",
        "[::1]:8080",
        "x" * 10_000,
        ("a" * 64) + ".stelly.com",
        "pizza.stelly.com\r\nX-Injected: 1",
        "'; DROP TABLE tenants; --",
    ],
)
def test_garbage_hosts_name_no_tenant(raw: str | None) -> None:
    assert normalize_host(raw) is None


FDID = "3f2b5a7e-0000-4000-8000-000000000001"


def _judge(policy: EdgePolicy, **headers: str | None) -> tuple[bool, str | None, str | None]:
    values = {
        "host": "app.internal",
        "tenant_host": None,
        "fdid": None,
        "azure_client_ip": None,
        "peer_ip": "203.0.113.9",
    }
    values.update(headers)
    verdict = judge_edge(policy, **values)  # type: ignore[arg-type]
    return verdict.refused, verdict.host, verdict.client_ip


def test_without_frontdoor_spoofed_edge_headers_are_ignored() -> None:
    policy = EdgePolicy(frontdoor_id=None)
    refused, host, client = _judge(
        policy,
        host="burger.stelly.com",
        tenant_host="pizza.stelly.com",
        fdid=FDID,
        azure_client_ip="1.2.3.4",
    )
    assert (refused, host, client) == (False, "burger.stelly.com", "203.0.113.9")


def test_wrong_or_missing_fdid_is_refused() -> None:
    policy = EdgePolicy(frontdoor_id=FDID)
    assert _judge(policy, fdid=None)[0] is True
    assert _judge(policy, fdid="not-ours")[0] is True
    assert _judge(policy, fdid=FDID[:-1])[0] is True
    assert _judge(policy, fdid="")[0] is True


def test_matching_fdid_trusts_tenant_host_and_client_ip() -> None:
    policy = EdgePolicy(frontdoor_id=FDID)
    refused, host, client = _judge(
        policy, fdid=FDID, tenant_host="Pizza.Stelly.com.", azure_client_ip="198.51.100.7"
    )
    assert (refused, host, client) == (False, "pizza.stelly.com", "198.51.100.7")


def test_trusted_edge_without_tenant_host_falls_back_to_host() -> None:
    policy = EdgePolicy(frontdoor_id=FDID)
    assert _judge(policy, fdid=FDID, host="pizza.stelly.com")[1] == "pizza.stelly.com"


def test_malformed_client_ip_falls_back_to_peer() -> None:
    policy = EdgePolicy(frontdoor_id=FDID)
    assert _judge(policy, fdid=FDID, azure_client_ip="1.2.3.4, 5.6.7.8")[2] == "203.0.113.9"


def test_trusted_proxy_address_is_trusted_only_from_its_network() -> None:
    policy = EdgePolicy(None, (ipaddress.ip_network("10.0.0.0/8"),))
    inside = _judge(
        policy, peer_ip="10.1.2.3", tenant_host="pizza.stelly.com", azure_client_ip="198.51.100.7"
    )
    outside = _judge(
        policy,
        peer_ip="11.1.2.3",
        host="burger.stelly.com",
        tenant_host="pizza.stelly.com",
        azure_client_ip="198.51.100.7",
    )
    assert inside == (False, "pizza.stelly.com", "198.51.100.7")
    assert outside == (False, "burger.stelly.com", "11.1.2.3")


def test_a_trusted_proxy_does_not_bypass_a_configured_frontdoor_id() -> None:
    policy = EdgePolicy(FDID, (ipaddress.ip_network("10.0.0.0/8"),))
    assert _judge(policy, peer_ip="10.1.2.3")[0] is True


def test_parse_caches_are_bounded_and_never_hold_oversized_values() -> None:
    from stelly_tenancy import hosts

    hosts_before = hosts._normalize.cache_info().misses
    ips_before = hosts._parse_short_ip.cache_info().misses
    assert normalize_host("a" * 10_000) is None
    assert hosts._parse_ip("1" * 10_000) is None
    # refused before the cache was consulted
    assert hosts._normalize.cache_info().misses == hosts_before
    assert hosts._parse_short_ip.cache_info().misses == ips_before
    for n in range(hosts.PARSE_CACHE_SIZE + 100):
        normalize_host(f"t{n}.stelly.test")
    assert hosts._normalize.cache_info().currsize == hosts.PARSE_CACHE_SIZE
    # cached answers are the same answers
    assert normalize_host("PIZZA.Stelly.test.:8080") == "pizza.stelly.test"
    assert normalize_host("PIZZA.Stelly.test.:8080") == "pizza.stelly.test"
