"""Choosing a replica, reading the replica lists: plain objects, no network."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from stelly_core.settings import SettingsError
from stelly_gateway.replicas import Origin, Upstreams
from stelly_gateway.settings import load_gateway_settings
from stelly_gateway.upstreams_file import UpstreamsFile, parse_upstreams

if TYPE_CHECKING:
    from pathlib import Path

A, B, C = "http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"


def _origin(*urls: str) -> Origin:
    origin = Origin("menu")
    origin.set_urls(urls, trusted=True)
    return origin


def test_idle_replicas_take_turns() -> None:
    origin = _origin(A, B, C)
    assert [origin.choose(set()).url for _ in range(6)] == [A, B, C, A, B, C]  # type: ignore[union-attr]


def test_the_replica_with_fewest_outstanding_requests_wins() -> None:
    origin = _origin(A, B)
    busy = origin.replicas[0]
    with busy.in_use(), busy.in_use():
        assert {origin.choose(set()).url for _ in range(4)} == {B}  # type: ignore[union-attr]
    assert busy.outstanding == 0


def test_down_replicas_are_a_last_resort_and_pending_ones_never_used() -> None:
    origin = _origin(A, B)
    origin.set_urls([A, B, C], trusted=False)
    a, b, c = origin.replicas
    assert c.state == "pending"
    a.mark_down("test")
    assert origin.choose(set()) is b
    assert origin.choose({b}) is a  # its last check may be stale
    assert origin.choose({a, b}) is None  # never the pending one
    c.mark_up()
    assert origin.choose({a, b}) is c


def test_a_new_list_keeps_the_state_of_the_replicas_that_stay() -> None:
    origin = _origin(A, B)
    origin.replicas[1].mark_down("test")
    origin.set_urls([C, B], trusted=False)
    assert [(r.url, r.state) for r in origin.replicas] == [(C, "pending"), (B, "down")]


def test_the_settings_read_comma_separated_replicas() -> None:
    settings = load_gateway_settings(
        {
            "STELLY_MENU_URL": f"{A}/, {B}",
            "STELLY_MEDIA_URL": C,
            "STELLY_UPSTREAMS_FILE": "/run/upstreams.json",
            "STELLY_GATEWAY_HEALTH_INTERVAL": "0.25",
        }
    )
    assert settings.upstreams == {"menu": (A, B), "media": (C,)}
    assert str(settings.upstreams_file) == "/run/upstreams.json"
    assert settings.health_interval == 0.25
    with pytest.raises(SettingsError, match="STELLY_MENU_URL"):
        load_gateway_settings({"STELLY_MENU_URL": f"{A},ftp://x"})
    with pytest.raises(SettingsError, match="STELLY_GATEWAY_HEALTH_INTERVAL"):
        load_gateway_settings({"STELLY_GATEWAY_HEALTH_INTERVAL": "0"})


def test_the_upstreams_file_shape_is_checked() -> None:
    assert parse_upstreams(json.dumps({"origins": {"menu": [A, B]}})) == {"menu": (A, B)}
    for bad in ('{"origins": {"menu": "x"}}', "[]", '{"origins": {"menu": ["ftp://x"]}}'):
        with pytest.raises(ValueError, match=r"expected|ftp"):
            parse_upstreams(bad)


def test_a_broken_upstreams_file_keeps_the_last_good_lists(tmp_path: Path) -> None:
    upstreams = Upstreams()
    upstreams.set_urls("menu", [A], trusted=True)
    upstreams.set_urls("media", [C], trusted=True)
    path = tmp_path / "upstreams.json"
    watcher = UpstreamsFile(path, upstreams)
    assert watcher.refresh() is False  # missing: nothing changes
    path.write_text(json.dumps({"origins": {"menu": [A, B], "worker": [C]}}))
    assert watcher.refresh() is True
    assert watcher.refresh() is False  # unchanged file is not re-applied
    menu, media = upstreams.get("menu"), upstreams.get("media")
    assert menu is not None and media is not None
    assert [(r.url, r.state) for r in menu.replicas] == [(A, "up"), (B, "pending")]
    assert [r.url for r in media.replicas] == [C]  # not named in the file: settings' list
    assert upstreams.get("worker") is None  # not proxied: never probed
    path.write_text("{broken")
    assert watcher.refresh() is False
    assert [r.url for r in menu.replicas] == [A, B]
