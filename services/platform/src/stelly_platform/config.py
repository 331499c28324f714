"""The platform service's own settings: the console host and Azure Front Door.

Read from the environment by :meth:`PlatformConfig.from_environ`, in the app
factory, never at import. The shared settings (database, Redis, base domain,
``KZ_SECRET_KEY``) stay in :mod:`stelly_core.settings`; these are the ones only
this service reads.

Invariants: the console host is ``console.{STELLY_BASE_DOMAIN}`` and never a
tenant (``console`` is a reserved slug); Front Door management is on only
when ``STELLY_FRONTDOOR_PROFILE_ID`` names a profile, and then the endpoint
and at least one route are named too; a malformed value stops start-up with
a message naming the variable.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stelly_core.settings import SettingsError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from stelly_core.settings import Settings

__all__ = ["CONSOLE_LABEL", "PLATFORM_VARIABLES", "FrontDoorTarget", "PlatformConfig"]

#: the first label of the console's host
CONSOLE_LABEL = "console"
#: every variable :meth:`PlatformConfig.from_environ` reads
PLATFORM_VARIABLES = (
    "STELLY_FRONTDOOR_ENDPOINT_HOST",
    "STELLY_FRONTDOOR_PROFILE_ID",
    "STELLY_FRONTDOOR_ENDPOINT_NAME",
    "STELLY_FRONTDOOR_ROUTES",
)
_PROFILE_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})/resourceGroups/(?P<group>[\w().-]{1,90})"
    r"/providers/Microsoft\.Cdn/profiles/(?P<profile>[A-Za-z0-9-]{1,260})$",
    re.IGNORECASE,
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,259}$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


@dataclass(frozen=True, slots=True)
class FrontDoorTarget:
    """Where custom domains go in Azure: a profile, its endpoint, the tenant routes."""

    subscription_id: str
    resource_group: str
    profile_name: str
    endpoint_name: str
    #: the routes that serve tenants (never the console's), by name
    routes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlatformConfig:
    """The console host, the CNAME target shown to tenants, Front Door when configured."""

    console_host: str
    #: what a custom domain's CNAME points at (the Front Door endpoint's host)
    cname_target: str
    frontdoor: FrontDoorTarget | None = None

    @classmethod
    def from_environ(
        cls, settings: Settings, environ: Mapping[str, str] | None = None
    ) -> PlatformConfig:
        """The platform's settings for ``settings.base_domain``.

        Args:
            settings: the shared settings of this process.
            environ: the variables to read; ``os.environ`` when omitted.

        Raises:
            SettingsError: naming the malformed or missing variable.
        """
        env = os.environ if environ is None else environ
        base = settings.base_domain
        cname = env.get("STELLY_FRONTDOOR_ENDPOINT_HOST", "").strip().lower().rstrip(".")
        if cname and not _HOST.fullmatch(cname):
            raise SettingsError("invalid settings: STELLY_FRONTDOOR_ENDPOINT_HOST: a host name")
        profile_id = env.get("STELLY_FRONTDOOR_PROFILE_ID", "").strip()
        frontdoor = None
        if profile_id:
            match = _PROFILE_ID.fullmatch(profile_id)
            if match is None:
                raise SettingsError(
                    "invalid settings: STELLY_FRONTDOOR_PROFILE_ID: a Front Door profile's"
                    " resource id (/subscriptions/.../providers/Microsoft.Cdn/profiles/NAME)"
                )
            endpoint = env.get("STELLY_FRONTDOOR_ENDPOINT_NAME", "").strip()
            if not _NAME.fullmatch(endpoint):
                raise SettingsError(
                    "invalid settings: STELLY_FRONTDOOR_ENDPOINT_NAME: the endpoint's name"
                    " (needed with STELLY_FRONTDOOR_PROFILE_ID)"
                )
            routes = tuple(
                r.strip() for r in env.get("STELLY_FRONTDOOR_ROUTES", "").split(",") if r.strip()
            )
            if not routes or not all(_NAME.fullmatch(r) for r in routes):
                raise SettingsError(
                    "invalid settings: STELLY_FRONTDOOR_ROUTES: the tenant routes' names,"
                    " comma-separated (needed with STELLY_FRONTDOOR_PROFILE_ID)"
                )
            if not cname:
                raise SettingsError(
                    "invalid settings: STELLY_FRONTDOOR_ENDPOINT_HOST: the endpoint's host"
                    " (needed with STELLY_FRONTDOOR_PROFILE_ID)"
                )
            frontdoor = FrontDoorTarget(
                subscription_id=match["subscription"],
                resource_group=match["group"],
                profile_name=match["profile"],
                endpoint_name=endpoint,
                routes=routes,
            )
        return cls(
            console_host=f"{CONSOLE_LABEL}.{base}",
            # locally, the gateway answers every *.localhost name
            cname_target=cname or base,
            frontdoor=frontdoor,
        )
