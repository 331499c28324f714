from __future__ import annotations

import re
from pathlib import Path

import pytest
from stelly_core.settings import ENV_VARIABLES, Environment, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[3]


def test_defaults_run_in_development() -> None:
    settings = load_settings({})
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.base_domain == "localhost"
    assert settings.media_max_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"STELLY_DATABASE_URL": "mysql://x"}, "STELLY_DATABASE_URL"),
        ({"STELLY_REDIS_URL": "http://x"}, "STELLY_REDIS_URL"),
        ({"STELLY_MEDIA_MAX_BYTES": "ten"}, "STELLY_MEDIA_MAX_BYTES"),
        ({"STELLY_MEDIA_MAX_PIXELS": "-5"}, "STELLY_MEDIA_MAX_PIXELS"),
        ({"STELLY_QUEUE": "kafka"}, "STELLY_QUEUE"),
        ({"STELLY_TRUSTED_PROXIES": "10.0.0.0/33"}, "STELLY_TRUSTED_PROXIES"),
        ({"STELLY_ENV": "staging"}, "STELLY_ENV"),
        ({"STELLY_BASE_DOMAIN": "a..b"}, "STELLY_BASE_DOMAIN"),
    ],
)
def test_malformed_values_are_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(environ)


@pytest.mark.parametrize(
    "secret", ["", "changeme", "stelly-development-secret-do-not-use-in-production", "short"]
)
def test_placeholder_secret_is_refused_in_production(secret: str) -> None:
    with pytest.raises(SettingsError, match="KZ_SECRET_KEY"):
        load_settings({"STELLY_ENV": "production", "KZ_SECRET_KEY": secret})


def test_a_real_secret_is_accepted_in_production() -> None:
    settings = load_settings({"STELLY_ENV": "production", "KZ_SECRET_KEY": "k" * 48})
    assert settings.secret_key == "k" * 48


def test_env_example_names_exactly_the_real_settings() -> None:
    text = (ROOT / ".env.example").read_text()
    names = re.findall(r"^([A-Z_]+)=", text, flags=re.MULTILINE)
    assert sorted(names) == sorted(ENV_VARIABLES)
