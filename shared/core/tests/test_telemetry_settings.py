"""The telemetry variables: production defaults, Container Apps JSON, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from stelly_core.settings import SettingsError
from stelly_core.telemetry.settings import LogFormat, TelemetrySettings


def test_defaults_are_the_production_ones() -> None:
    settings = TelemetrySettings.from_environ({})
    assert settings.tracing is True
    assert settings.sample_ratio == 0.1
    assert settings.traces_per_second == 10.0
    assert settings.request_log is True
    assert settings.log_format is LogFormat.TEXT
    assert settings.trace_dir is None
    assert settings.appinsights_connection_string is None


def test_container_apps_log_json_unless_told_otherwise() -> None:
    assert TelemetrySettings.from_environ({"CONTAINER_APP_NAME": "menu"}).log_format is (
        LogFormat.JSON
    )
    told = {"CONTAINER_APP_NAME": "menu", "STELLY_LOG_FORMAT": "text"}
    assert TelemetrySettings.from_environ(told).log_format is LogFormat.TEXT


def test_every_variable_is_read() -> None:
    settings = TelemetrySettings.from_environ(
        {
            "STELLY_TRACING": "off",
            "STELLY_TRACE_SAMPLE_RATIO": "1",
            "STELLY_TRACES_PER_SECOND": "0",
            "STELLY_REQUEST_LOG": "OFF",
            "STELLY_LOG_FORMAT": "json",
            "STELLY_TRACE_DIR": "/tmp/traces",
            "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x",
        }
    )
    assert settings == TelemetrySettings(
        tracing=False,
        sample_ratio=1.0,
        traces_per_second=0.0,
        request_log=False,
        log_format=LogFormat.JSON,
        trace_dir=Path("/tmp/traces"),
        appinsights_connection_string="InstrumentationKey=x",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STELLY_TRACING", "maybe"),
        ("STELLY_REQUEST_LOG", "yes please"),
        ("STELLY_TRACE_SAMPLE_RATIO", "1.5"),
        ("STELLY_TRACE_SAMPLE_RATIO", "-0.1"),
        ("STELLY_TRACE_SAMPLE_RATIO", "nan"),
        ("STELLY_TRACE_SAMPLE_RATIO", "ten percent"),
        ("STELLY_TRACES_PER_SECOND", "-1"),
        ("STELLY_TRACES_PER_SECOND", "inf"),
        ("STELLY_TRACES_PER_SECOND", "nan"),
        ("STELLY_TRACES_PER_SECOND", "lots"),
        ("STELLY_LOG_FORMAT", "xml"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        TelemetrySettings.from_environ({name: value})
