"""Telemetry of the media service: an Azurite upload is traced and the Azure SDK stays quiet.

Real PostgreSQL, Valkey and Azurite; spans and log lines come from the
in-memory telemetry of :mod:`stelly_core.telemetry.testing`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from litestar.testing import AsyncTestClient
from opentelemetry.trace import SpanKind
from stelly_core.settings import Settings
from stelly_core.telemetry.testing import CapturedTelemetry, captured_telemetry
from stelly_media.app import create_app

from . import images
from .conftest import MakeStore


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[CapturedTelemetry]:
    with captured_telemetry("stelly-media") as captured:
        yield captured


async def test_an_upload_is_traced_into_blob_storage_and_the_sdk_is_quiet(
    media_settings: Settings,
    make_store: MakeStore,
    captured: CapturedTelemetry,
    empty_queue: None,
) -> None:
    shop = await make_store()
    records = _Records()
    root = logging.getLogger()
    root.addHandler(records)
    level = root.level
    root.setLevel(
        logging.DEBUG
    )  # whatever a developer turns on, the SDK says nothing below WARNING
    try:
        async with AsyncTestClient(create_app(media_settings)) as client:
            response = await client.post(
                "/api/v1/media/images",
                headers={**shop.headers(), "x-request-id": "req-upload"},
                files={"file": ("photo.jpg", images.jpeg(320, 240), "image/jpeg")},
            )
            assert response.status_code == 202, response.text
    finally:
        root.removeHandler(records)
        root.setLevel(level)
    noisy = [
        r for r in records.records if r.name.startswith("azure") and r.levelno < logging.WARNING
    ]
    assert noisy == []
    console = captured.log_lines()
    assert not [line for line in console if " azure" in line]
    (request_line,) = [line for line in console if "INFO stelly-media POST" in line]
    assert "/api/v1/media/images 202" in request_line
    assert f"tenant={shop.tenant.slug}" in request_line

    spans = captured.spans()
    server = next(s for s in spans if s.kind is SpanKind.SERVER)
    assert server.name == "POST /api/v1/media/images"
    in_trace = [s for s in spans if s.context.trace_id == server.context.trace_id]
    blob_calls = [s for s in in_trace if s.instrumentation_scope.name.startswith("azure")]
    assert blob_calls, [(s.name, s.instrumentation_scope.name) for s in in_trace]
    for span in blob_calls:
        assert span.attributes is not None
        assert span.attributes["stelly.request_id"] == "req-upload"
        assert span.attributes["tenant.slug"] == shop.tenant.slug
