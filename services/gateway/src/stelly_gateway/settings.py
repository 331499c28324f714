"""The gateway's own settings (it needs none of the services' connections).

Invariants: every origin named here has at least one replica URL, each an
``http(s)://`` base URL without a trailing slash; the intervals are > 0.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from stelly_core.settings import SettingsError
from stelly_core.telemetry.settings import DEFAULT_SAMPLE_RATIO, TelemetrySettings

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["GatewaySettings", "load_gateway_settings", "parse_replica_urls"]

_UPSTREAMS = {
    "menu": "STELLY_MENU_URL",
    "realtime": "STELLY_REALTIME_URL",
    "media": "STELLY_MEDIA_URL",
    "platform": "STELLY_PLATFORM_URL",
}


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    port: int = 8080
    frontdoor_id: str | None = None
    # origin -> its replicas' base URLs (STELLY_{MENU,REALTIME,MEDIA,PLATFORM}_URL, comma-separated)
    upstreams: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the `stelly dev` supervisor's live replica list; it wins for the origins it names
    upstreams_file: Path | None = None
    web_dist: Path | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    health_interval: float = 0.5
    health_timeout: float = 1.0
    # the share of client-started traces the edge records (STELLY_TRACE_SAMPLE_RATIO)
    trace_sample_ratio: float = DEFAULT_SAMPLE_RATIO


def parse_replica_urls(value: str) -> tuple[str, ...]:
    """Split a comma-separated list of base URLs.

    Raises:
        ValueError: when an entry is not an ``http(s)://`` URL.
    """
    urls = []
    for raw in value.split(","):
        url = raw.strip().rstrip("/")
        if not url:
            continue
        if not url.startswith(("http://", "https://")):
            raise ValueError(url)
        if url not in urls:
            urls.append(url)
    return tuple(urls)


def _seconds(env: Mapping[str, str], name: str, default: str) -> float:
    try:
        value = float(env.get(name, default))
        if not value > 0:
            raise ValueError
    except ValueError:
        raise SettingsError(f"invalid settings: {name}: seconds > 0") from None
    return value


def load_gateway_settings(environ: Mapping[str, str] | None = None) -> GatewaySettings:
    """Read ``STELLY_PORT``, ``STELLY_FRONTDOOR_ID``, ``STELLY_{MENU,REALTIME,MEDIA,PLATFORM}_URL``
    (each one URL or a comma-separated list of replicas), ``STELLY_UPSTREAMS_FILE``,
    ``STELLY_WEB_DIST``, ``STELLY_GATEWAY_TIMEOUT``, ``STELLY_GATEWAY_HEALTH_INTERVAL`` and
    ``STELLY_TRACE_SAMPLE_RATIO``.

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
    timeout = _seconds(env, "STELLY_GATEWAY_TIMEOUT", "60")
    interval = _seconds(env, "STELLY_GATEWAY_HEALTH_INTERVAL", "0.5")
    upstreams = {}
    for origin, name in _UPSTREAMS.items():
        try:
            urls = parse_replica_urls(env.get(name, ""))
        except ValueError:
            raise SettingsError(
                f"invalid settings: {name}: must be http(s) URLs, comma-separated"
            ) from None
        if urls:
            upstreams[origin] = urls
    dist = env.get("STELLY_WEB_DIST", "").strip()
    upstreams_file = env.get("STELLY_UPSTREAMS_FILE", "").strip()
    return GatewaySettings(
        port=port,
        frontdoor_id=env.get("STELLY_FRONTDOOR_ID") or None,
        upstreams=upstreams,
        upstreams_file=Path(upstreams_file) if upstreams_file else None,
        web_dist=Path(dist) if dist else None,
        read_timeout=timeout,
        health_interval=interval,
        trace_sample_ratio=TelemetrySettings.from_environ(env).sample_ratio,
    )
