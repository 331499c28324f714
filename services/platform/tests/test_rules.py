"""The plain rules: which domains a tenant may add, TXT judgement, the platform's settings."""

from __future__ import annotations

import pytest
from stelly_core.settings import SettingsError, load_settings
from stelly_platform.config import PlatformConfig
from stelly_platform.domain.domains.dns import judge_txt
from stelly_platform.domain.domains.frontdoor import certificate_status, resource_name
from stelly_platform.domain.domains.rules import judge_domain


def _judge(raw: str, *, base: str = "stelly.com", development: bool = False) -> object:
    return judge_domain(
        raw, base_domain=base, console_host=f"console.{base}", development=development
    )


def test_stelly_names_are_never_custom_domains() -> None:
    for name in ("stelly.com", "console.stelly.com", "pizza.stelly.com", "a.b.stelly.com"):
        assert _judge(name) == (name, "domain_not_allowed"), name
    assert _judge("Pizza.Example.COM.") == ("pizza.example.com", None)
    assert _judge("stelly.com.evil.example") == ("stelly.com.evil.example", None)
    assert _judge("münchen.example") == ("xn--mnchen-3ya.example", None)
    assert _judge("not a domain")[1] == "invalid_domain"


def test_localhost_names_are_custom_domains_only_in_development() -> None:
    assert _judge("taco-town.localhost", base="localhost", development=True) == (
        "taco-town.localhost",
        None,
    )
    for name in ("console.localhost", "api.localhost", "localhost"):
        assert _judge(name, base="localhost", development=True)[1] is not None, name
    assert _judge("taco-town.localhost", base="localhost")[1] == "domain_not_allowed"


def test_txt_judgement() -> None:
    assert judge_txt([], "tok") == "txt_missing"
    assert judge_txt(["other"], "tok") == "txt_mismatch"
    assert judge_txt(["other", " tok "], "tok") is None


def test_front_door_names_and_states() -> None:
    assert resource_name("a-b.com") != resource_name("a.b-com")
    assert resource_name("shop.example.com").startswith("shop-example-com-")

    class Domain:
        domain_validation_state = "PendingRevalidation"
        deployment_status = "InProgress"
        validation_properties = None

    status = certificate_status(Domain())
    assert (status.state, status.deployment_status) == ("pending_revalidation", "in_progress")


def test_front_door_settings_are_all_or_nothing() -> None:
    settings = load_settings({"STELLY_ENV": "test", "STELLY_BASE_DOMAIN": "stelly.com"})
    plain = PlatformConfig.from_environ(settings, {})
    assert plain.console_host == "console.stelly.com" and plain.frontdoor is None
    profile = (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"
        "/providers/Microsoft.Cdn/profiles/afd"
    )
    with pytest.raises(SettingsError, match="STELLY_FRONTDOOR_ENDPOINT_NAME"):
        PlatformConfig.from_environ(settings, {"STELLY_FRONTDOOR_PROFILE_ID": profile})
    with pytest.raises(SettingsError, match="STELLY_FRONTDOOR_PROFILE_ID"):
        PlatformConfig.from_environ(settings, {"STELLY_FRONTDOOR_PROFILE_ID": "nope"})
    full = PlatformConfig.from_environ(
        settings,
        {
            "STELLY_FRONTDOOR_PROFILE_ID": profile,
            "STELLY_FRONTDOOR_ENDPOINT_NAME": "fde",
            "STELLY_FRONTDOOR_ENDPOINT_HOST": "fde-x.z01.azurefd.net",
            "STELLY_FRONTDOOR_ROUTES": "api, web",
        },
    )
    assert full.frontdoor is not None
    assert (full.frontdoor.resource_group, full.frontdoor.profile_name) == ("rg", "afd")
    assert full.frontdoor.routes == ("api", "web")
    assert full.cname_target == "fde-x.z01.azurefd.net"
