"""Process settings read from the environment (SPEC §6).

One typed object per process, built by the app factory or the CLI, never at
import time. A missing or malformed value stops start-up with a message that
names the variable.
"""

from __future__ import annotations

import ipaddress
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEV_SECRET_KEY",
    "ENV_VARIABLES",
    "DatabaseAuth",
    "Environment",
    "QueueBackend",
    "RedisAuth",
    "Settings",
    "SettingsError",
    "load_settings",
]

#: The development default for ``KZ_SECRET_KEY``; refused outside development.
DEV_SECRET_KEY = "stelly-development-secret-do-not-use-in-production"  # noqa: S105
_PLACEHOLDER_SECRETS = frozenset({DEV_SECRET_KEY, "changeme", "change-me", "secret", ""})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class DatabaseAuth(StrEnum):
    PASSWORD = "password"  # noqa: S105 - an auth mode's name, not a secret
    ENTRA = "entra"


class RedisAuth(StrEnum):
    """How Redis connections authenticate: the URL's password, or Entra ID (Azure)."""

    PASSWORD = "password"  # noqa: S105 - an auth mode's name, not a secret
    ENTRA = "entra"


class QueueBackend(StrEnum):
    REDIS = "redis"
    SERVICEBUS = "servicebus"


class SettingsError(Exception):
    """Raised when the environment does not describe a usable configuration."""


class Settings(BaseModel):
    """Everything a Stelly process reads from its environment."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    environment: Environment = Field(
        Environment.DEVELOPMENT, validation_alias=AliasChoices("STELLY_ENV")
    )
    database_url: str | None = Field(None, validation_alias=AliasChoices("STELLY_DATABASE_URL"))
    database_auth: DatabaseAuth = Field(
        DatabaseAuth.PASSWORD, validation_alias=AliasChoices("STELLY_DATABASE_AUTH")
    )
    database_pool_size: int = Field(
        10, ge=1, le=500, validation_alias=AliasChoices("STELLY_DATABASE_POOL_SIZE")
    )
    database_statement_cache: bool = Field(
        True, validation_alias=AliasChoices("STELLY_DATABASE_STATEMENT_CACHE")
    )
    redis_url: str | None = Field(None, validation_alias=AliasChoices("STELLY_REDIS_URL"))
    redis_auth: RedisAuth = Field(
        RedisAuth.PASSWORD, validation_alias=AliasChoices("STELLY_REDIS_AUTH")
    )
    #: Redis shards keys by hash slot (Azure Managed Redis, Redis Cluster); the local
    #: stack's embedded Valkey then runs in cluster mode, refusing cross-slot commands.
    redis_cluster: bool = Field(False, validation_alias=AliasChoices("STELLY_REDIS_CLUSTER"))
    base_domain: str = Field("localhost", validation_alias=AliasChoices("STELLY_BASE_DOMAIN"))
    secret_key: str = Field(DEV_SECRET_KEY, validation_alias=AliasChoices("KZ_SECRET_KEY"))
    frontdoor_id: str | None = Field(None, validation_alias=AliasChoices("STELLY_FRONTDOOR_ID"))
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = Field(
        (), validation_alias=AliasChoices("STELLY_TRUSTED_PROXIES")
    )
    tenant_cache_ttl: float = Field(
        5.0, gt=0, le=300, validation_alias=AliasChoices("STELLY_TENANT_CACHE_TTL")
    )
    blob_account_url: str | None = Field(
        None, validation_alias=AliasChoices("STELLY_BLOB_ACCOUNT_URL")
    )
    blob_connection_string: str | None = Field(
        None, validation_alias=AliasChoices("STELLY_BLOB_CONNECTION_STRING")
    )
    assets_base_url: str | None = Field(
        None, validation_alias=AliasChoices("STELLY_ASSETS_BASE_URL")
    )
    realtime_public_url: str | None = Field(
        None, validation_alias=AliasChoices("STELLY_REALTIME_PUBLIC_URL")
    )
    queue: QueueBackend = Field(QueueBackend.REDIS, validation_alias=AliasChoices("STELLY_QUEUE"))
    servicebus_namespace: str | None = Field(
        None, validation_alias=AliasChoices("STELLY_SERVICEBUS_NAMESPACE")
    )
    servicebus_connection_string: str | None = Field(
        None, validation_alias=AliasChoices("STELLY_SERVICEBUS_CONNECTION_STRING")
    )
    media_max_bytes: int = Field(
        10 * 1024 * 1024, gt=0, validation_alias=AliasChoices("STELLY_MEDIA_MAX_BYTES")
    )
    media_max_pixels: int = Field(
        40_000_000, gt=0, validation_alias=AliasChoices("STELLY_MEDIA_MAX_PIXELS")
    )
    state_dir: Path = Field(Path(".stelly"), validation_alias=AliasChoices("STELLY_STATE_DIR"))
    #: After SIGTERM, /readyz answers 503 while the process keeps serving this long,
    #: so the edge stops routing to it before it stops accepting (SPEC §8).
    drain_seconds: float = Field(
        5.0, ge=0, le=300, validation_alias=AliasChoices("STELLY_DRAIN_SECONDS")
    )
    #: Then in-flight work (requests, uploads, spread WebSocket closes, the job
    #: at hand) gets at most this long before the process exits.
    shutdown_seconds: float = Field(
        15.0, gt=0, le=600, validation_alias=AliasChoices("STELLY_SHUTDOWN_SECONDS")
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_networks(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(
                ipaddress.ip_network(part.strip(), strict=False)
                for part in value.split(",")
                if part.strip()
            )
        return value

    @field_validator("database_url", "redis_url", "frontdoor_id", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgres://", "postgresql://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("realtime_public_url")
    @classmethod
    def _check_realtime_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("must be a ws:// or wss:// URL template")
        leftover = value.replace("{host}", "").replace("{slug}", "")
        if "{" in leftover or "}" in leftover:
            raise ValueError("only the placeholders {host} and {slug} are allowed")
        return value

    @field_validator("base_domain")
    @classmethod
    def _check_base_domain(cls, value: str) -> str:
        domain = value.strip().lower().rstrip(".")
        labels = domain.split(".")
        if not domain or any(not label or len(label) > 63 for label in labels):
            raise ValueError("must be a DNS name such as stelly.com")
        return domain

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment is not Environment.DEVELOPMENT and self.environment is not (
            Environment.TEST
        ):
            if self.secret_key.strip().lower() in _PLACEHOLDER_SECRETS:
                raise ValueError(
                    "KZ_SECRET_KEY: a placeholder secret is refused outside development"
                )
            if len(self.secret_key) < 32:
                raise ValueError(
                    "KZ_SECRET_KEY: must be at least 32 characters outside development"
                )
        if self.blob_account_url and self.blob_connection_string:
            raise ValueError(
                "STELLY_BLOB_ACCOUNT_URL and STELLY_BLOB_CONNECTION_STRING: set only one"
            )
        return self

    @property
    def is_development(self) -> bool:
        return self.environment is not Environment.PRODUCTION


#: Every environment variable the settings read, in declaration order.
ENV_VARIABLES: tuple[str, ...] = tuple(
    str(field.validation_alias.choices[0])  # type: ignore[union-attr]
    for field in Settings.model_fields.values()
)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings of this process from the environment.

    Args:
        environ: the variables to read; ``os.environ`` when omitted.

    Returns:
        The validated settings.

    Raises:
        SettingsError: naming every missing or malformed variable.
    """
    source = dict(os.environ if environ is None else environ)
    values = {name: source[name] for name in ENV_VARIABLES if name in source}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = error["loc"][0] if error["loc"] else ""
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
