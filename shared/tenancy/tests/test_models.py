from __future__ import annotations

import pytest
from stelly_core.db import quote_schema, validate_schema_name
from stelly_tenancy.models import RESERVED_SLUGS, validate_domain, validate_slug


@pytest.mark.parametrize("slug", ["pizza", "burger-king", "a1b", "x" * 32, "mama-mia-2"])
def test_valid_slugs_are_accepted(slug: str) -> None:
    assert validate_slug(slug) == slug


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "ab",  # too short
        "x" * 33,  # too long
        "Pizza",
        "1pizza",
        "pizza-",
        "-pizza",
        "piz_za",
        "pizza.evil",
        "pizza'; DROP SCHEMA public CASCADE; --",
        'pizza"',
        "../etc",
        "pizzä",
        "xn--pizza-abc",  # would collide with punycode hosts
        "pizza\n",
    ],
)
def test_malicious_or_malformed_slugs_are_refused(slug: str) -> None:
    with pytest.raises(ValueError, match="slug"):
        validate_slug(slug)


@pytest.mark.parametrize("slug", sorted(RESERVED_SLUGS))
def test_reserved_words_are_refused(slug: str) -> None:
    # Reserved words shorter than three letters fail the pattern first; all are refused.
    with pytest.raises(ValueError, match="slug"):
        validate_slug(slug)


@pytest.mark.parametrize(
    "name",
    [
        't_pizza"; DROP TABLE x; --',
        "public",
        "pg_catalog",
        "pg_toast",
        "Upper",
        "",
        "a" * 64,
        "information_schema",
        "a-b",
        "a b",
    ],
)
def test_unsafe_schema_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="schema"):
        validate_schema_name(name)


def test_schema_names_are_quoted() -> None:
    assert quote_schema("schema_burgerking") == '"schema_burgerking"'


def test_domains_are_normalised_to_punycode() -> None:
    assert validate_domain("Pizza.Example.COM.") == "pizza.example.com"
    assert validate_domain("bücher.example") == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    "domain", ["localhost", "a..b", "-a.com", "a_b.com", "x" * 64 + ".com", ""]
)
def test_invalid_domains_are_refused(domain: str) -> None:
    with pytest.raises(ValueError, match="domain"):
        validate_domain(domain)
