"""The telemetry settings of a process, read from its environment.

Every variable has a default that is right for production, so a process
with none of them set traces 10 % of its requests but at most about 10
traces a second, logs one line per request and serves ``/metrics``. A
malformed value stops start-up with a
:class:`~stelly_core.settings.SettingsError` naming the variable.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from stelly_core.settings import SettingsError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEFAULT_SAMPLE_RATIO",
    "DEFAULT_TRACES_PER_SECOND",
    "TELEMETRY_VARIABLES",
    "LogFormat",
    "TelemetrySettings",
]

#: The production default: one request in ten is traced (``stelly dev`` sets 1.0).
DEFAULT_SAMPLE_RATIO = 0.1
#: The production cap on recorded traces per second and process (``stelly dev`` sets 0: none).
DEFAULT_TRACES_PER_SECOND = 10.0

#: Every variable :meth:`TelemetrySettings.from_environ` reads.
TELEMETRY_VARIABLES: tuple[str, ...] = (
    "STELLY_TRACING",
    "STELLY_TRACE_SAMPLE_RATIO",
    "STELLY_TRACES_PER_SECOND",
    "STELLY_REQUEST_LOG",
    "STELLY_LOG_FORMAT",
    "STELLY_TRACE_DIR",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
)

_ON = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}


class LogFormat(StrEnum):
    """How log lines are written: readable text, or one JSON object per line."""

    TEXT = "text"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    """What a process records and where it sends it."""

    #: spans at all (off: no tracer provider, no server middleware, no instrumentation)
    tracing: bool = True
    #: the share of traces recorded (an HTTP caller's trace is re-decided by its trace id)
    sample_ratio: float = DEFAULT_SAMPLE_RATIO
    #: at most about this many recorded traces a second per process, the ratio
    #: lowered while busier (0: no cap); see :mod:`~stelly_core.telemetry.sampling`
    traces_per_second: float = DEFAULT_TRACES_PER_SECOND
    #: one structured line per request
    request_log: bool = True
    log_format: LogFormat = LogFormat.TEXT
    #: where finished spans are also written for ``stelly trace`` (local runs)
    trace_dir: Path | None = None
    #: export to Application Insights through the Azure Monitor distro
    appinsights_connection_string: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> TelemetrySettings:
        """Read the settings from ``environ`` (``os.environ`` when omitted).

        ``STELLY_LOG_FORMAT`` defaults to ``json`` in Azure Container Apps
        (where ``CONTAINER_APP_NAME`` is set) and to ``text`` elsewhere.

        Raises:
            SettingsError: naming the variable whose value is not valid.
        """
        env = os.environ if environ is None else environ
        default_format = LogFormat.JSON if env.get("CONTAINER_APP_NAME") else LogFormat.TEXT
        raw_format = env.get("STELLY_LOG_FORMAT", "").strip().lower()
        try:
            log_format = LogFormat(raw_format) if raw_format else default_format
        except ValueError:
            raise SettingsError(
                f"invalid settings: STELLY_LOG_FORMAT: expected json or text, got {raw_format!r}"
            ) from None
        trace_dir = env.get("STELLY_TRACE_DIR", "").strip()
        connection = env.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "").strip()
        return cls(
            tracing=_switch(env, "STELLY_TRACING", default=True),
            sample_ratio=_number(
                env,
                "STELLY_TRACE_SAMPLE_RATIO",
                DEFAULT_SAMPLE_RATIO,
                most=1.0,
                expected="a number from 0 to 1",
            ),
            traces_per_second=_number(
                env,
                "STELLY_TRACES_PER_SECOND",
                DEFAULT_TRACES_PER_SECOND,
                most=float("inf"),
                expected="a number of 0 or more (0: no cap)",
            ),
            request_log=_switch(env, "STELLY_REQUEST_LOG", default=True),
            log_format=log_format,
            trace_dir=Path(trace_dir) if trace_dir else None,
            appinsights_connection_string=connection or None,
        )


def _switch(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _ON:
        raise SettingsError(f"invalid settings: {name}: expected on or off, got {raw!r}")
    return _ON[raw]


def _number(
    env: Mapping[str, str], name: str, default: float, *, most: float, expected: str
) -> float:
    """A finite number from 0 to ``most``."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and 0.0 <= value <= most):
        raise SettingsError(f"invalid settings: {name}: expected {expected}, got {raw!r}")
    return value
