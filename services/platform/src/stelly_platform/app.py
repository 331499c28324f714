"""The platform service's app factory: the operator's console API (SPEC §10).

Not tenant-scoped: no tenant is resolved on these routes, and every one but
the health probes answers only on ``console.{base domain}``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.openapi.spec import Components
from stelly_core.contract import contract_hooks
from stelly_core.openapi import BEARER, exact_struct_schemas, openapi_config
from stelly_core.settings import load_settings

from stelly_platform.config import PlatformConfig
from stelly_platform.domain.auth.controllers import AuthController
from stelly_platform.domain.domains.controllers import DomainController
from stelly_platform.domain.tenants.controllers import TenantController
from stelly_platform.runtime import PlatformPlugin, PlatformRuntime

if TYPE_CHECKING:
    from collections.abc import Mapping

    from litestar.openapi import OpenAPIConfig
    from stelly_core.auth import PasswordHashing
    from stelly_core.settings import Settings

    from stelly_platform.domain.domains.dns import TxtResolver
    from stelly_platform.domain.domains.frontdoor import FrontDoorDomains

__all__ = ["create_app"]


def _openapi() -> OpenAPIConfig:
    config = openapi_config(
        "Stelly platform console",
        "1.0.0",
        description="The operator's API on `console.{base domain}`: tenants, usage, custom domains.",
    )
    components = config.components
    assert isinstance(components, Components)
    assert components.security_schemes
    scheme = components.security_schemes[BEARER]
    components.security_schemes[BEARER] = dataclasses.replace(
        scheme,
        description="A console token from `POST /api/v1/platform/auth/token`.",
    )
    return config


def create_app(
    settings: Settings | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    dns: TxtResolver | None = None,
    frontdoor: FrontDoorDomains | None = None,
    hasher: PasswordHashing | None = None,
) -> Litestar:
    """Build the platform service.

    Args:
        settings: the process settings; read from the environment when omitted.
        environ: where the platform's own settings are read (``os.environ`` by default).
        dns: the TXT resolver (dnspython by default; tests pass a fake).
        frontdoor: the Front Door side of custom domains (Azure's when
            ``STELLY_FRONTDOOR_PROFILE_ID`` is set, else none; tests pass one
            on a fake client).
        hasher: the password hasher.

    Returns:
        The Litestar app; its connections open in the lifespan.
    """
    settings = settings or load_settings()
    config = PlatformConfig.from_environ(settings, environ)
    runtime = PlatformRuntime(settings, config, dns=dns, frontdoor=frontdoor, hasher=hasher)
    app = Litestar(
        route_handlers=[AuthController, TenantController, DomainController],
        plugins=[PlatformPlugin(runtime)],
        openapi_config=_openapi(),
        **contract_hooks(),
    )
    exact_struct_schemas(app)
    return app
