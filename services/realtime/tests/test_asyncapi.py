"""``docs/asyncapi.yaml`` against the realtime server's own wire types and code.

The document is checked for its AsyncAPI 3 shape (every reference resolves,
operations use only their channel's messages), then against the server:
the msgspec structs of the frames, frames made by the real encoders and by a
real :class:`~stelly_realtime.session.Session`, every error code and close
code the source can send, and the limits in the configuration.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import re
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import jsonschema_rs
import msgspec
import pytest
import yaml
from redis.exceptions import ConnectionError as RedisConnectionError
from stelly_core import auth
from stelly_core.auth import issue_token
from stelly_core.events import EVENT_TYPES, RETENTION_SECONDS, validate_channel
from stelly_realtime import protocol
from stelly_realtime.config import RealtimeConfig
from stelly_realtime.history import History, StoredEvent
from stelly_realtime.offsets import StreamState, format_offset, parse_offset
from stelly_realtime.protocol import (
    Command,
    ErrorFrame,
    EventFrame,
    SubscribedFrame,
    UnsubscribedFrame,
    decode_command,
    encode_error,
    encode_event,
    encode_stored_event,
    encode_subscribed,
    encode_unsubscribed,
)
from stelly_realtime.session import Session
from stelly_tenancy.models import Tenant, TenantStatus

if TYPE_CHECKING:
    from stelly_realtime.connection import Connection
    from stelly_realtime.history import HistoryReader
    from stelly_realtime.hub import Hub, Subscription

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "asyncapi.yaml"
PACKAGE = Path(protocol.__file__).resolve().parent
CHANNEL = "realtime"
CLIENT_MESSAGES = {"subscribe", "unsubscribe"}
EVENT_MESSAGES = {
    "menuUpdated": "menu.updated",
    "storeUpdated": "store.updated",
    "imageReady": "image.ready",
    "orderCreated": "order.created",
    "orderUpdated": "order.updated",
}
SERVER_MESSAGES = {"subscribed", "unsubscribed", "error", *EVENT_MESSAGES}
SECRET = "asyncapi-test-secret-of-at-least-32-bytes"
TENANT = Tenant(
    id=7,
    slug="pizza",
    name="Pizza",
    schema="t_pizza",
    status=TenantStatus.ACTIVE,
    currency="EUR",
    timezone="UTC",
)


def _load() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return document


DOC = _load()


def _resolve(ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references: {ref}"
    node: Any = DOC
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolved reference {ref}"
        node = node[part]
    return node


def _deref(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = _resolve(node["$ref"])
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def _message(name: str) -> dict[str, Any]:
    message: dict[str, Any] = _deref(DOC["channels"][CHANNEL]["messages"][name])
    return message


def _payload(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = _deref(_message(name)["payload"])
    return payload


def _validator(name: str) -> jsonschema_rs.Draft7Validator:
    # the whole document is the root, so that its "#/components/..." references resolve
    root = {"$ref": _message(name)["payload"]["$ref"], "components": DOC["components"]}
    return jsonschema_rs.Draft7Validator(root, validate_formats=True)


VALIDATORS = {name: _validator(name) for name in CLIENT_MESSAGES | SERVER_MESSAGES}


def _matches(frame: Any, names: set[str]) -> set[str]:
    return {name for name in names if VALIDATORS[name].is_valid(frame)}


def _types(schema: Any) -> set[str]:
    """The JSON types a (document or msgspec) property schema allows."""
    schema = _deref(schema)
    if "type" in schema:
        kind = schema["type"]
        return {kind} if isinstance(kind, str) else set(kind)
    if "const" in schema or "enum" in schema:
        values = [schema["const"]] if "const" in schema else schema["enum"]
        return {"null" if v is None else "string" if isinstance(v, str) else "?" for v in values}
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return {t for branch in schema[combinator] for t in _types(branch)}
    if "allOf" in schema:
        return set.intersection(*(_types(branch) for branch in schema["allOf"]))
    return set()  # anything


def _struct_schema(struct: type[msgspec.Struct]) -> dict[str, Any]:
    generated = msgspec.json.schema(struct)
    schema: dict[str, Any] = generated["$defs"][struct.__name__]
    return schema


def _ops(schema: dict[str, Any]) -> set[str]:
    op = _deref(schema["properties"]["op"])
    return {op["const"]} if "const" in op else set(op["enum"])


def _description() -> str:
    description: str = DOC["info"]["description"]
    return description


# --- the document's own shape -------------------------------------------------


def test_the_document_is_asyncapi_3_for_get_ws_v1() -> None:
    assert DOC["asyncapi"] == "3.0.0"
    assert isinstance(DOC["info"]["title"], str) and DOC["info"]["title"]
    assert isinstance(DOC["info"]["version"], str) and DOC["info"]["version"]
    assert DOC["defaultContentType"] == "application/json"
    assert DOC["servers"], "no servers"
    for server in DOC["servers"].values():
        assert server["protocol"] in {"ws", "wss"}
        assert server["host"] and "/" not in server["host"]
        for variable in re.findall(r"{(\w+)}", server["host"]):
            assert "default" in server["variables"][variable]
    channel = DOC["channels"][CHANNEL]
    assert channel["address"] == "/ws/v1"
    assert channel["bindings"]["ws"]["method"] == "GET"
    assert set(channel["messages"]) == CLIENT_MESSAGES | SERVER_MESSAGES
    for server_ref in channel["servers"]:
        assert server_ref["$ref"].startswith("#/servers/")


def test_every_reference_resolves() -> None:
    refs = _refs(DOC)
    assert len(refs) > 30
    for ref in refs:
        _resolve(ref)


def test_operations_use_only_their_channels_messages() -> None:
    prefix = f"#/channels/{CHANNEL}/messages/"
    sent: set[str] = set()
    received: set[str] = set()
    for name, operation in DOC["operations"].items():
        assert operation["action"] in {"send", "receive"}, name
        assert operation["channel"] == {"$ref": f"#/channels/{CHANNEL}"}, name
        listed = [ref["$ref"] for ref in operation["messages"]]
        replies = [ref["$ref"] for ref in operation.get("reply", {}).get("messages", [])]
        for ref in listed + replies:
            assert ref.startswith(prefix), f"{name}: {ref} is not a message of its channel"
            _resolve(ref)
        names = {ref.removeprefix(prefix) for ref in listed}
        (sent if operation["action"] == "send" else received).update(names)
        assert not {ref.removeprefix(prefix) for ref in replies} & CLIENT_MESSAGES
    # the client's point of view: it sends commands and receives every server frame
    assert sent == CLIENT_MESSAGES
    assert received == SERVER_MESSAGES


def test_every_example_is_valid_for_its_message_and_no_other() -> None:
    checked = 0
    for name in CLIENT_MESSAGES | SERVER_MESSAGES:
        examples = _message(name).get("examples", [])
        assert examples, f"{name} has no example"
        for example in examples:
            errors = [e.message for e in VALIDATORS[name].iter_errors(example["payload"])]
            assert not errors, f"{name}: {errors}"
            assert _matches(example["payload"], CLIENT_MESSAGES | SERVER_MESSAGES) == {name}
            checked += 1
    assert checked >= len(CLIENT_MESSAGES | SERVER_MESSAGES)


# --- commands: the document against ``Command`` and ``decode_command`` ---------


def test_command_payloads_agree_with_the_command_struct() -> None:
    command = _struct_schema(Command)
    subscribe, unsubscribe = _payload("subscribe"), _payload("unsubscribe")
    assert _ops(subscribe) | _ops(unsubscribe) == set(command["properties"]["op"]["enum"])
    assert set(subscribe["required"]) == set(command["required"])
    assert set(unsubscribe["required"]) == set(command["required"])
    assert set(subscribe["properties"]) == set(command["properties"])
    assert set(unsubscribe["properties"]) <= set(command["properties"])
    for field, schema in command["properties"].items():
        if field != "op":
            assert _types(subscribe["properties"][field]) == _types(schema), field
    # members the struct ignores, the document allows
    assert subscribe.get("additionalProperties", True) is not False
    assert unsubscribe.get("additionalProperties", True) is not False


@pytest.mark.parametrize(
    "frame",
    [
        {"op": "subscribe", "channel": "menu"},
        {"op": "subscribe", "channel": "kitchen", "token": "t", "since": "1-0"},
        {"op": "subscribe", "channel": "order:42", "token": None, "since": None},
        {"op": "subscribe", "channel": "menu", "since": "1718000000000-12", "extra": 1},
        {"op": "unsubscribe", "channel": "order:9223372036854775807"},
    ],
)
def test_commands_the_document_allows_are_commands_to_the_server(frame: dict[str, Any]) -> None:
    assert len(_matches(frame, CLIENT_MESSAGES)) == 1
    command = decode_command(json.dumps(frame))
    assert command is not None
    assert (command.op, command.channel) == (frame["op"], frame["channel"])
    assert (command.token, command.since) == (frame.get("token"), frame.get("since"))


@pytest.mark.parametrize(
    "frame",
    [
        None,
        [],
        {},
        {"op": "ping"},
        {"op": "subscribe"},
        {"channel": "menu"},
        {"op": "subscribe", "channel": ["menu"]},
        {"op": "subscribe", "channel": "menu", "token": 5},
        {"op": "subscribe", "channel": "menu", "since": 10},
        {"op": "subscribed", "channel": "menu"},
    ],
)
def test_frames_the_server_does_not_take_as_commands_the_document_refuses(frame: Any) -> None:
    assert decode_command(json.dumps(frame)) is None
    assert _matches(frame, CLIENT_MESSAGES) == set()


# --- channel names and offsets ------------------------------------------------

CHANNELS = [
    "menu",
    "kitchen",
    "order:1",
    "order:42",
    "order:9223372036854775807",
    "order:1234567890123456789",
    "order:12345678901234567890",
    "order:0",
    "order:01",
    "order:",
    "order:-1",
    "order:4a",
    "Menu",
    " menu",
    "menu\n",
    "kitchen ",
    "orders:1",
    "order:1:2",
    "",
    "order:\uff11",  # a fullwidth digit
]


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_names_the_document_allows_are_those_the_server_allows(channel: str) -> None:
    try:
        validate_channel(channel)
    except ValueError:
        allowed = False
    else:
        allowed = True
    frame = {"op": "unsubscribed", "channel": channel}
    assert VALIDATORS["unsubscribed"].is_valid(frame) is allowed


OFFSETS = ["0-0", "1-0", "9-1", "1718000000000-12", "01-0", "18446744073709551614-0"]
NOT_OFFSETS = ["", "1", "-1", "1-", "a-0", "1-0-0", "1.0-0", " 1-0", "1-0 ", "\u0661-0", "1_0-0"]


def test_offsets_the_document_allows_are_those_the_server_reads_and_writes() -> None:
    validator = VALIDATORS["subscribed"]

    def allowed(offset: str) -> bool:
        frame = {"op": "subscribed", "channel": "menu", "offset": offset, "recovered": True}
        return bool(validator.is_valid(frame))

    for offset in OFFSETS:
        assert allowed(offset), offset
        assert allowed(format_offset(parse_offset(offset)))
    for offset in NOT_OFFSETS:
        assert not allowed(offset), offset
        with pytest.raises(ValueError, match="invalid offset"):
            parse_offset(offset)
    # the one gap the pattern leaves, said in words: each part is below 2^64 - 1
    assert "2^64 - 1" in _deref({"$ref": "#/components/schemas/Offset"})["description"]
    with pytest.raises(ValueError, match="invalid offset"):
        parse_offset("18446744073709551615-0")


# --- server frames: the document against the structs and the encoders ---------


@pytest.mark.parametrize(
    ("struct", "messages"),
    [
        (SubscribedFrame, ["subscribed"]),
        (UnsubscribedFrame, ["unsubscribed"]),
        (ErrorFrame, ["error"]),
        (EventFrame, list(EVENT_MESSAGES)),
    ],
)
def test_server_payloads_agree_with_the_frame_structs(
    struct: type[msgspec.Struct], messages: list[str]
) -> None:
    generated = _struct_schema(struct)
    for name in messages:
        payload = _payload(name)
        assert payload["additionalProperties"] is False, name
        assert set(payload["properties"]) == set(generated["properties"]), name
        assert set(payload["required"]) == set(generated["required"]), name
        assert _ops(payload) == set(generated["properties"]["op"]["enum"]), name
        for field, schema in generated["properties"].items():
            expected = _types(schema)
            if struct.__struct_config__.omit_defaults and field not in generated["required"]:
                expected.discard("null")  # a None default is left out, never sent as null
            if expected:  # EventFrame.data is any JSON: each event message narrows it
                assert _types(payload["properties"][field]) == expected, (name, field)


def test_event_types_are_the_platforms() -> None:
    documented = _deref({"$ref": "#/components/schemas/EventType"})["enum"]
    assert set(documented) == EVENT_TYPES
    consts = {_deref(_payload(name)["properties"]["type"])["const"] for name in EVENT_MESSAGES}
    assert consts == EVENT_TYPES
    assert {name: _payload(name)["properties"]["type"]["const"] for name in EVENT_MESSAGES} == (
        EVENT_MESSAGES
    )


def _published(offset: str, event_type: str, data: Any) -> bytes:
    # what the producer's Lua script publishes (stelly_core.events._PUBLISH)
    encoded = msgspec.json.encode(data).decode()
    return (
        '{"offset":"' + offset + '","type":"' + event_type + '","data":' + encoded + "}"
    ).encode()


ORDER = {
    "id": 42,
    "number": 3,
    "status": "ready",
    "fulfillment": "pickup",
    "table": None,
    "customer_name": 'Zoë "Z"',
    "note": "sans oignons\n",
    "total": 1990,
    "currency": "EUR",
    "items": [{"name": "Pizza", "quantity": 2, "modifiers": ["Olives"], "note": None}],
    "created_at": "2024-06-10T12:00:00.123456+00:00",
    "updated_at": "2024-06-10T12:05:00+00:00",
}
EVENTS = [
    ("menu", "menu.updated", {"version": 12}),
    ("menu", "store.updated", {"is_open": False, "closed_now": True}),
    (
        "menu",
        "image.ready",
        {
            "id": "3f2b8a56-7c1d-4e5f-9a0b-1c2d3e4f5a6b",
            "variants": {"320": "http://127.0.0.1:10000/devstoreaccount1/m/7/i/w320.webp"},
        },
    ),
    ("kitchen", "order.created", ORDER),
    ("order:42", "order.updated", {**ORDER, "status": "cancelled", "table": "T 4"}),
]


@pytest.mark.parametrize(("channel", "event_type", "data"), EVENTS)
def test_event_frames_from_the_encoders_match_exactly_their_message(
    channel: str, event_type: str, data: Any
) -> None:
    live = encode_event(channel, _published("1718000000000-3", event_type, data))
    stored = encode_stored_event(
        channel, "1718000000000-3", event_type.encode(), msgspec.json.encode(data)
    )
    expected = {name for name, kind in EVENT_MESSAGES.items() if kind == event_type}
    for frame in (live, stored):
        assert _matches(json.loads(frame), SERVER_MESSAGES) == expected


def test_event_frames_on_the_wrong_channel_or_with_the_wrong_data_match_nothing() -> None:
    wrong = [
        encode_event("kitchen", _published("1-0", "menu.updated", {"version": 1})),
        encode_event("menu", _published("1-0", "order.created", ORDER)),
        encode_event("menu", _published("1-0", "menu.updated", {"version": "1"})),
        encode_event("kitchen", _published("1-0", "order.updated", {**ORDER, "status": "lost"})),
        encode_event("menu", _published("1-0", "menu.exploded", {"version": 1})),
    ]
    for frame in wrong:
        assert _matches(json.loads(frame), SERVER_MESSAGES) == set(), frame


def test_other_frames_from_the_encoders_match_exactly_their_message() -> None:
    cases = [
        (encode_subscribed("menu", "1718000000000-0", recovered=False), "subscribed"),
        (encode_subscribed("order:7", "0-0", recovered=True), "subscribed"),
        (encode_unsubscribed("kitchen"), "unsubscribed"),
        (encode_error("invalid_message"), "error"),
        (encode_error("token_expired", "order:7"), "error"),
    ]
    for frame, name in cases:
        assert _matches(json.loads(frame), SERVER_MESSAGES) == {name}, frame
    assert _matches(json.loads(encode_error("no_such_code")), SERVER_MESSAGES) == set()


# --- a real session: every frame it sends, every code it can refuse with ------


class _Socket:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None

    def push(self, text: str, wire: bytes | None = None) -> None:
        self.frames.append(json.loads(text))

    def close(self, code: int, reason: str = "") -> None:
        self.closed = (code, reason)


class _Hub:
    def __init__(self) -> None:
        self.down = False

    async def add(self, key: str, subscription: Subscription) -> None:
        if self.down:
            raise RedisConnectionError("down")

    def discard(self, key: str, subscription: Subscription) -> None:
        pass


class _History:
    """A stream of three events, the last at ``now``; nothing ever trimmed."""

    def __init__(self) -> None:
        self.now_ms = int(time.time() * 1000)

    async def read(self, key: str, since: Any, *, limit: int) -> History:
        offsets = [(self.now_ms - 2, 0), (self.now_ms - 1, 0), (self.now_ms, 0)]
        state = StreamState(offsets[-1], offsets[0], entries_added=3, length=3)
        events = [
            StoredEvent(format_offset(o), b"menu.updated", b'{"version":%d}' % i)
            for i, o in enumerate(offsets, 1)
            if since is not None and o > since
        ]
        return History(self.now_ms, state, events)


def _token(kind: str, subject: str, *, tenant_id: int = TENANT.id, ttl: int = 600) -> str:
    return issue_token(SECRET, tenant_id=tenant_id, subject=subject, kind=kind, ttl_seconds=ttl)  # type: ignore[arg-type]


async def test_a_real_session_sends_only_documented_frames_and_every_documented_code() -> None:
    socket, hub, history = _Socket(), _Hub(), _History()
    session = Session(
        cast("Connection", socket),
        TENANT,
        hub=cast("Hub", hub),
        history=cast("HistoryReader", history),
        reads=asyncio.Semaphore(1),
        config=RealtimeConfig(max_subscriptions=3),
        secret=SECRET,
    )
    since = format_offset((history.now_ms - 2, 0))
    staff = _token("staff", "1")
    commands: list[Any] = [
        "not json",  # invalid_message
        {"op": "subscribe", "channel": "Menu"},  # invalid_channel
        {"op": "subscribe", "channel": "kitchen"},  # token_required
        {"op": "subscribe", "channel": "kitchen", "token": "x"},  # invalid_token
        {"op": "subscribe", "channel": "kitchen", "token": _token("staff", "1", tenant_id=8)},
        {"op": "subscribe", "channel": "order:5", "token": _token("order", "6")},  # forbidden
        {"op": "subscribe", "channel": "menu", "since": "yesterday"},  # invalid_offset
        {"op": "subscribe", "channel": "menu", "since": since},  # subscribed, recovered, 2 events
        {"op": "subscribe", "channel": "menu"},  # already_subscribed
        {"op": "subscribe", "channel": "kitchen", "token": staff},  # subscribed, not recovered
        {"op": "subscribe", "channel": "order:5", "token": _token("order", "5", ttl=1)},
        {"op": "subscribe", "channel": "order:6", "token": staff},  # too_many_subscriptions
        {"op": "unsubscribe", "channel": "kitchen"},  # unsubscribed
        {"op": "unsubscribe", "channel": "kitchen"},  # not_subscribed
        {"op": "unsubscribe", "channel": "nope"},  # not_subscribed, no channel
    ]
    for command in commands:
        await session.handle_text(command if isinstance(command, str) else json.dumps(command))
    hub.down = True
    await session.handle_text(json.dumps({"op": "subscribe", "channel": "kitchen", "token": staff}))
    session.expire(time.time() + 5)  # the order token has expired: token_expired

    assert socket.closed is None
    frames = socket.frames
    for frame in frames:
        matched = _matches(frame, SERVER_MESSAGES)
        assert len(matched) == 1, (frame, matched)
    assert [f["op"] for f in frames].count("subscribed") == 3
    assert [f["offset"] for f in frames if f["op"] == "event"] == [
        format_offset((history.now_ms - 1, 0)),
        format_offset((history.now_ms, 0)),
    ]
    assert {f["recovered"] for f in frames if f["op"] == "subscribed"} == {True, False}
    sent_codes = {f["code"] for f in frames if f["op"] == "error"}
    documented = set(_deref({"$ref": "#/components/schemas/ErrorCode"})["enum"])
    assert sent_codes == documented
    # the channel rides along exactly when the command named a valid one
    for frame in frames:
        if frame["op"] == "error" and frame["code"] in {"invalid_message", "invalid_channel"}:
            assert "channel" not in frame


# --- the source: codes and close codes the document must name -----------------


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    def called(node: ast.Call) -> str | None:
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        return func.attr if isinstance(func, ast.Attribute) else None

    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and called(n) == name]


def _modules() -> dict[str, ast.Module]:
    return {path.name: ast.parse(path.read_text(encoding="utf-8")) for path in PACKAGE.glob("*.py")}


#: non-literal codes the source passes on, and where their values come from
_RELAYED = {
    ("session.py", "encode_error", "refusal"),  # authorize_subscription's Decision codes
    ("access.py", "Decision", "error"),  # verify_token's ProblemError codes
}


def _source_error_codes() -> set[str]:
    codes: set[str] = set()
    for module, tree in _modules().items():
        for function in ("encode_error", "Decision"):
            for call in _calls(tree, function):
                if not call.args:
                    continue
                first = call.args[0]
                if isinstance(first, ast.Constant) and first.value is None:
                    continue
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    codes.add(first.value)
                elif isinstance(first, ast.Name) and (module, function, first.id) in _RELAYED:
                    continue
                else:
                    pytest.fail(
                        f"{module}:{call.lineno}: {function}({ast.unparse(first)}, ...): a code "
                        "this test cannot read; document it and teach the test where it comes from"
                    )
    verify = ast.parse(textwrap.dedent(inspect.getsource(auth.verify_token)))
    for call in _calls(verify, "ProblemError"):
        code = call.args[1]
        assert isinstance(code, ast.Constant) and isinstance(code.value, str)
        codes.add(code.value)
    return codes


def test_every_error_code_in_the_source_is_documented_and_no_other() -> None:
    source = _source_error_codes()
    assert {"invalid_message", "token_expired", "forbidden", "token_wrong_tenant"} <= source
    documented = set(_deref({"$ref": "#/components/schemas/ErrorCode"})["enum"])
    assert source - documented == set(), "codes the server sends that the document lacks"
    assert documented - source == set(), "documented codes the server never sends"
    description = _deref({"$ref": "#/components/schemas/ErrorCode"})["description"]
    for code in documented:
        assert f"`{code}`" in description, f"{code} is not explained"


def _close_constants() -> dict[str, int]:
    constants: dict[str, int] = {}
    for tree in _modules().values():
        for node in tree.body:
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Constant):
                continue
            for target in node.targets:
                value = node.value.value
                # a WebSocket close code, not CLOSE_WINDOW_VARIABLE
                if (
                    isinstance(target, ast.Name)
                    and target.id.startswith("CLOSE_")
                    and isinstance(value, int)
                    and 1000 <= value < 5000
                ):
                    constants[target.id] = value
    return constants


def _close_reasons(constants: dict[str, int]) -> set[str]:
    """The reasons of every ``close(CLOSE_..., reason)`` in the source."""
    reasons: set[str] = set()
    for module, tree in _modules().items():
        closes = [
            (call, call.args[0], call.args[1:]) for call in _calls(tree, "close") if call.args
        ]
        # _close_spread(sessions, deadline, reason) closes each with CLOSE_SERVICE_RESTART
        spreads = [(call, None, call.args[2:]) for call in _calls(tree, "_close_spread")]
        for call, code, rest in closes + spreads:
            if isinstance(code, ast.Constant):
                pytest.fail(f"{module}:{call.lineno}: close({code.value!r}): name it CLOSE_...")
            if isinstance(code, ast.Name) and code.id not in constants and code.id != "code":
                continue  # not a socket's close (RealtimeService.close(session))
            reason = rest[0] if rest else None
            if isinstance(reason, ast.Constant) and isinstance(reason.value, str):
                reasons.add(reason.value)
            elif reason is not None and not (
                isinstance(reason, ast.Name) and reason.id == "reason"
            ):
                pytest.fail(f"{module}:{call.lineno}: a close reason this test cannot read")
    return reasons


def test_every_close_code_and_reason_in_the_source_is_documented() -> None:
    constants = _close_constants()
    assert set(constants.values()) >= {1003, 1008, 1009, 1012, 1013}
    description = _description()
    table = set(re.findall(r"^\| (\d{4}) \|", description, re.MULTILINE))
    for name, value in constants.items():
        assert str(value) in table, f"{name} = {value} is not in the close-code table"
    reasons = _close_reasons(constants)
    assert {"service_restart", "upstream_reset", "tenant_suspended", "message_too_big"} <= reasons
    for reason in reasons:
        assert f"`{reason}`" in description, f"close reason {reason} is not documented"
    # what the edge sends when a replica vanishes, and what a client does about closes
    assert "| 1011 | `upstream_lost` |" in description
    assert "full-jitter" in description and "`since`" in description
    assert "`recovered: false`" in description and "refetch" in description


def test_the_limits_in_the_document_are_the_servers() -> None:
    config = RealtimeConfig()
    description = _description()
    assert f"over {config.max_message_bytes} bytes" in description
    assert f"at most {config.max_subscriptions} at once" in description
    assert f"most {config.max_recover} of them" in description
    assert f"more than {config.max_backlog} frames" in description
    assert f"pings every {config.ping_interval:g} seconds" in description
    assert f"within {config.ping_timeout:g}" in description
    assert f"{config.close_window:g} s by default" in description
    assert f"recoverable for {RETENTION_SECONDS // 3600} hours" in description
    token = _payload("subscribe")["properties"]["token"]
    assert token["maxLength"] == 4096
