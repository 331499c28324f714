"""Frames in and out, as plain functions."""

from __future__ import annotations

import json

import pytest
from stelly_realtime.protocol import (
    Command,
    decode_command,
    encode_error,
    encode_event,
    encode_stored_event,
    encode_subscribed,
)


def test_commands_decode() -> None:
    assert decode_command('{"op":"subscribe","channel":"kitchen","token":"t","since":"1-0"}') == (
        Command(op="subscribe", channel="kitchen", token="t", since="1-0")
    )
    assert decode_command('{"op":"unsubscribe","channel":"menu","extra":1}') == Command(
        op="unsubscribe", channel="menu"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "[]",
        "{}",
        '{"op":"ping"}',
        '{"op":"subscribe"}',
        '{"channel":"menu"}',
        '{"op":"subscribe","channel":["menu"]}',
        '{"op":"subscribe","channel":"menu"',
        "\ud800",
    ],
)
def test_non_commands_decode_to_none(text: str) -> None:
    assert decode_command(text) is None


def test_event_frame_splices_the_published_json() -> None:
    published = b'{"offset":"12-0","type":"order.created","data":{"id":5,"note":"a \\"b\\""}}'
    assert json.loads(encode_event("kitchen", published)) == {
        "op": "event",
        "channel": "kitchen",
        "offset": "12-0",
        "type": "order.created",
        "data": {"id": 5, "note": 'a "b"'},
    }


def test_stored_event_frame_matches_the_live_one() -> None:
    live = encode_event("menu", b'{"offset":"3-1","type":"menu.updated","data":{"version":"v"}}')
    stored = encode_stored_event("menu", "3-1", b"menu.updated", b'{"version":"v"}')
    assert stored == live


def test_replies() -> None:
    assert json.loads(encode_subscribed("menu", "1-0", recovered=True)) == {
        "op": "subscribed",
        "channel": "menu",
        "offset": "1-0",
        "recovered": True,
    }
    assert json.loads(encode_error("forbidden", "order:1")) == {
        "op": "error",
        "code": "forbidden",
        "channel": "order:1",
    }
    assert json.loads(encode_error("invalid_message")) == {"op": "error", "code": "invalid_message"}
