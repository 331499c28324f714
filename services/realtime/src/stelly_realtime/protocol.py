"""The wire format of ``/ws/v1`` (SPEC §4): client commands in, frames out.

Every server frame is JSON text. An event frame is built once per upstream
message by splicing the channel into the JSON Redis published, so the
event's ``data`` is never decoded or re-encoded on the way through.

The frame structs are the wire types, public so that the AsyncAPI document
(``docs/asyncapi.yaml``) can be checked against them; :class:`EventFrame`
only describes the spliced event frame and never encodes one.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "Command",
    "ErrorFrame",
    "EventFrame",
    "SubscribedFrame",
    "UnsubscribedFrame",
    "decode_command",
    "encode_error",
    "encode_event",
    "encode_stored_event",
    "encode_subscribed",
    "encode_unsubscribed",
]


class Command(msgspec.Struct, frozen=True):
    """``{"op": "subscribe"|"unsubscribe", "channel", "token"?, "since"?}``."""

    op: Literal["subscribe", "unsubscribe"]
    channel: str
    token: str | None = None
    since: str | None = None


_decoder = msgspec.json.Decoder(Command)


def decode_command(text: str) -> Command | None:
    """A client command, or ``None`` when the frame is not one."""
    try:
        return _decoder.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeError):
        return None


class SubscribedFrame(msgspec.Struct):
    """``{"op": "subscribed", "channel", "offset", "recovered"}``."""

    op: Literal["subscribed"]
    channel: str
    offset: str
    recovered: bool


class UnsubscribedFrame(msgspec.Struct):
    """``{"op": "unsubscribed", "channel"}``."""

    op: Literal["unsubscribed"]
    channel: str


class ErrorFrame(msgspec.Struct, omit_defaults=True):
    """``{"op": "error", "code", "channel"?}``."""

    op: Literal["error"]
    code: str
    channel: str | None = None


class EventFrame(msgspec.Struct):
    """``{"op": "event", "channel", "offset", "type", "data"}``: a description only.

    Event frames are spliced by :func:`encode_event` and
    :func:`encode_stored_event`, never encoded from this struct.
    """

    op: Literal["event"]
    channel: str
    offset: str
    type: str
    data: msgspec.Raw


_encoder = msgspec.json.Encoder()


def encode_subscribed(channel: str, offset: str, *, recovered: bool) -> str:
    """``{"op": "subscribed", "channel", "offset", "recovered"}``."""
    return _encoder.encode(SubscribedFrame("subscribed", channel, offset, recovered)).decode()


def encode_unsubscribed(channel: str) -> str:
    """``{"op": "unsubscribed", "channel"}``."""
    return _encoder.encode(UnsubscribedFrame("unsubscribed", channel)).decode()


def encode_error(code: str, channel: str | None = None) -> str:
    """``{"op": "error", "code", "channel"?}``; the channel only when it was valid."""
    return _encoder.encode(ErrorFrame("error", code, channel)).decode()


def encode_event(channel: str, published: bytes) -> str:
    """The event frame for one upstream message.

    Args:
        channel: a validated channel name (no characters JSON would escape).
        published: what the producer's script published:
            ``{"offset":"…","type":"…","data":…}``.

    Returns:
        ``{"op":"event","channel":…,"offset":…,"type":…,"data":…}``.
    """
    return '{"op":"event","channel":"' + channel + '",' + published[1:].decode()


def encode_stored_event(channel: str, offset: str, event_type: bytes, data: bytes) -> str:
    """The event frame for one entry read back from the channel's stream."""
    return (
        '{"op":"event","channel":"'
        + channel
        + '","offset":"'
        + offset
        + '","type":'
        + _encoder.encode(event_type.decode()).decode()
        + ',"data":'
        + data.decode()
        + "}"
    )
