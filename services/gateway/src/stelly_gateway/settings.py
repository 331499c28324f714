"""The gateway's own settings (it needs none of the services' connections)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from stelly_core.settings import SettingsError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["GatewaySettings", "load_gateway_settings"]

_UPSTREAMS = {
    "menu": "STELLY_MENU_URL",
    "realtime": "STELLY_REALTIME_URL",
    "media": "STELLY_MEDIA_URL",
}


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    port: int = 8080
    frontdoor_id: str | None = None
    upstreams: dict[str, str] = field(default_factory=dict)
    web_dist: Path | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 60.0


def load_gateway_settings(environ: Mapping[str, str] | None = None) -> GatewaySettings:
    """Read ``STELLY_PORT``, ``STELLY_FRONTDOOR_ID``, ``STELLY_{MENU,REALTIME,MEDIA}_URL``,
    ``STELLY_WEB_DIST`` and ``STELLY_GATEWAY_TIMEOUT``.

    Raises:
        SettingsError: naming the malformed variable.
    """
    env = os.environ if environ is None else environ
    try:
        port = int(env.get("STELLY_PORT", "8080"))
        if not 1 <= port <= 65535:
            raise ValueError
    except ValueError:
        raise SettingsError("invalid settings: STELLY_PORT: must be a TCP port") from None
    try:
        timeout = float(env.get("STELLY_GATEWAY_TIMEOUT", "60"))
        if timeout <= 0:
            raise ValueError
    except ValueError:
        raise SettingsError("invalid settings: STELLY_GATEWAY_TIMEOUT: seconds > 0") from None
    upstreams = {}
    for origin, name in _UPSTREAMS.items():
        value = env.get(name, "").strip()
        if value:
            if not value.startswith(("http://", "https://")):
                raise SettingsError(f"invalid settings: {name}: must be an http(s) URL")
            upstreams[origin] = value.rstrip("/")
    dist = env.get("STELLY_WEB_DIST", "").strip()
    return GatewaySettings(
        port=port,
        frontdoor_id=env.get("STELLY_FRONTDOOR_ID") or None,
        upstreams=upstreams,
        web_dist=Path(dist) if dist else None,
        read_timeout=timeout,
    )
