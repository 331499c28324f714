"""A parser for the subset of Bicep that ``infra/`` is written in.

Invariants:

- Only ``resource`` declarations (top level or nested in a resource body) and
  ``var`` values are kept; every other statement (``param``, ``module``,
  ``output``, ``targetScope``, decorators) is skipped whole.
- A value the parser cannot evaluate without a deployment (a parameter, a
  function call, an operator, a property access, an interpolated string) is
  :class:`Unknown` (or a :class:`Str` with ``value=None``), which the type
  check accepts for any type. A reference to a ``var`` of the same file is a
  :class:`Ref` that the checker may follow.
- A syntax error raises :class:`BicepSyntaxError` with the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Arr",
    "BicepFile",
    "BicepSyntaxError",
    "Bool",
    "Loop",
    "Node",
    "Null",
    "Num",
    "Obj",
    "Prop",
    "Ref",
    "Resource",
    "Str",
    "Ternary",
    "Unknown",
    "parse_bicep",
    "parse_file",
]


class BicepSyntaxError(ValueError):
    """Input outside the supported subset, or not Bicep at all."""


@dataclass(frozen=True)
class Unknown:
    """A value known only at deployment time: matches any type."""


@dataclass(frozen=True)
class Ref:
    """A bare identifier: a parameter, variable, resource or loop variable."""

    name: str


@dataclass(frozen=True)
class Str:
    """A string literal; ``value`` is None when it is interpolated."""

    value: str | None


@dataclass(frozen=True)
class Num:
    value: int


@dataclass(frozen=True)
class Bool:
    value: bool


@dataclass(frozen=True)
class Null:
    pass


@dataclass(frozen=True)
class Ternary:
    """``cond ? then : otherwise``: the value is one of the two branches."""

    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Loop:
    """``[for x in xs: body]`` (or ``[for ...: if (c) body]``): an array of ``body``."""

    body: Node


@dataclass(frozen=True)
class Prop:
    """One property of an object literal; ``key`` is None when interpolated."""

    key: str | None
    value: Node
    line: int


@dataclass(frozen=True)
class Obj:
    props: tuple[Prop, ...]
    line: int


@dataclass(frozen=True)
class Arr:
    items: tuple[Node, ...]


Node = Unknown | Ref | Str | Num | Bool | Null | Ternary | Loop | Obj | Arr


@dataclass(frozen=True)
class Resource:
    """A ``resource`` declaration; ``body`` is the object literal (after ``if``/``for``)."""

    symbol: str
    type_name: str
    api_version: str
    existing: bool
    body: Obj
    line: int
    children: tuple[Resource, ...] = ()


@dataclass
class BicepFile:
    path: Path
    resources: list[Resource] = field(default_factory=list)
    variables: dict[str, Node] = field(default_factory=dict)


_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r]+)
    |(?P<newline>\n)
    |(?P<comment>//[^\n]*)
    |(?P<block>/\*.*?\*/)
    |(?P<number>\d+)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<punct>\.\?|\?\?|\[\?|==|!=|<=|>=|&&|\|\||=>|=~|!~|::|[{}\[\]():,?.!<>+\-*/%=@|])
    """,
    re.X | re.S,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # ident, number, string, punct, newline, end
    text: str
    line: int
    value: str | None = None  # a string's value, None when interpolated


def _scan_string(source: str, at: int, line: int) -> tuple[_Token, int, int]:
    """The string starting at ``source[at] == "'"``: its token, the end offset, the end line."""
    start_line = line
    if source.startswith("'''", at):
        end = source.find("'''", at + 3)
        if end < 0:
            raise BicepSyntaxError(f"line {line}: unterminated multi-line string")
        text = source[at + 3 : end]
        return _Token("string", text, start_line, text), end + 3, line + text.count("\n")
    at += 1
    parts: list[str] = []
    interpolated = False
    while True:
        if at >= len(source) or source[at] == "\n":
            raise BicepSyntaxError(f"line {line}: unterminated string")
        char = source[at]
        if char == "'":
            value = None if interpolated else "".join(parts)
            return _Token("string", "".join(parts), start_line, value), at + 1, line
        if char == "\\" and at + 1 < len(source):
            escaped = source[at + 1]
            parts.append({"n": "\n", "r": "\r", "t": "\t"}.get(escaped, escaped))
            at += 2
            continue
        if source.startswith("${", at):
            interpolated = True
            at, line = _skip_interpolation(source, at + 2, line)
            continue
        parts.append(char)
        at += 1


def _skip_interpolation(source: str, at: int, line: int) -> tuple[int, int]:
    """Past the ``}`` that closes an interpolation opened just before ``at``."""
    depth = 1
    while at < len(source):
        char = source[at]
        if char == "'":
            _, at, line = _scan_string(source, at, line)
            continue
        if char == "\n":
            line += 1
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return at + 1, line
        at += 1
    raise BicepSyntaxError(f"line {line}: unterminated interpolation")


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    at, line = 0, 1
    while at < len(source):
        if source[at] == "'":
            token, at, line = _scan_string(source, at, line)
            tokens.append(token)
            continue
        match = _TOKEN.match(source, at)
        if match is None:
            raise BicepSyntaxError(f"line {line}: unexpected character {source[at]!r}")
        kind, text = match.lastgroup or "", match.group()
        if kind == "newline":
            tokens.append(_Token("newline", text, line))
        elif kind in ("ident", "number", "punct"):
            tokens.append(_Token(kind, text, line))
        line += text.count("\n")
        at = match.end()
    tokens.append(_Token("end", "", line))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.at = 0
        # True where newlines are insignificant (inside parentheses).
        self.skip_newlines = [False]

    # -- token helpers -------------------------------------------------
    def peek(self) -> _Token:
        if self.skip_newlines[-1]:
            while self.tokens[self.at].kind == "newline":
                self.at += 1
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.peek()
        if token.kind != "end":
            self.at += 1
        return token

    def is_(self, text: str) -> bool:
        token = self.peek()
        return token.kind in ("punct", "ident") and token.text == text

    def expect(self, text: str) -> _Token:
        token = self.take()
        if token.text != text or token.kind not in ("punct", "ident"):
            raise BicepSyntaxError(f"line {token.line}: expected {text!r}, found {token.text!r}")
        return token

    def skip_blank(self) -> None:
        while self.tokens[self.at].kind == "newline":
            self.at += 1

    # -- statements ----------------------------------------------------
    def parse_file(self, path: Path) -> BicepFile:
        result = BicepFile(path)
        while True:
            self.skip_blank()
            token = self.peek()
            if token.kind == "end":
                return result
            if token.kind == "punct" and token.text == "@":
                self.take()
                self.parse_expr()
                continue
            if token.kind == "ident" and token.text == "resource":
                result.resources.append(self.parse_resource(parent=None))
                continue
            if token.kind == "ident" and token.text == "var":
                self.take()
                name = self.take().text
                self.expect("=")
                result.variables[name] = self.parse_expr()
                continue
            self.skip_statement()

    def skip_statement(self) -> None:
        depth = 0
        while True:
            token = self.tokens[self.at]
            if token.kind == "end" or (token.kind == "newline" and depth == 0):
                return
            if token.kind == "punct" and token.text in "([{":
                depth += 1
            elif token.kind == "punct" and token.text in ")]}":
                depth -= 1
            self.at += 1

    def parse_resource(self, parent: tuple[str, str] | None) -> Resource:
        line = self.expect("resource").line
        symbol = self.take().text
        type_token = self.take()
        if type_token.kind != "string" or type_token.value is None:
            raise BicepSyntaxError(f"line {type_token.line}: a resource type string is expected")
        type_name, _, api_version = type_token.value.partition("@")
        if parent is not None and "." not in type_name.split("/")[0]:
            type_name = f"{parent[0]}/{type_name}"
            api_version = api_version or parent[1]
        if not api_version:
            raise BicepSyntaxError(f"line {line}: {type_token.value!r} has no API version")
        existing = self.is_("existing")
        if existing:
            self.take()
        self.expect("=")
        children: list[Resource] = []
        body = self.parse_resource_body((type_name, api_version), children)
        return Resource(symbol, type_name, api_version, existing, body, line, tuple(children))

    def parse_resource_body(self, own: tuple[str, str], children: list[Resource]) -> Obj:
        if self.is_("if"):
            self.parse_condition()
            return self.parse_object(own, children)
        if self.is_("["):
            self.take()
            self.parse_for_head()
            if self.is_("if"):
                self.parse_condition()
            body = self.parse_object(own, children)
            self.skip_blank()
            self.expect("]")
            return body
        return self.parse_object(own, children)

    def parse_condition(self) -> None:
        self.expect("if")
        self.expect("(")
        self.skip_newlines.append(True)
        self.parse_expr()
        self.skip_newlines.pop()
        self.expect(")")

    def parse_for_head(self) -> None:
        self.expect("for")
        if self.is_("("):
            self.take()
            self.take()
            self.expect(",")
            self.take()
            self.expect(")")
        else:
            self.take()
        self.expect("in")
        self.parse_expr()
        self.expect(":")

    # -- expressions ---------------------------------------------------
    def parse_expr(self) -> Node:
        condition = self.parse_binary()
        if self.is_("?"):
            self.take()
            then = self.parse_expr()
            self.expect(":")
            otherwise = self.parse_expr()
            return Ternary(then, otherwise)
        return condition

    _BINARY = frozenset(
        ["??", "||", "&&", "==", "!=", "<", ">", "<=", ">=", "=~", "!~", "+", "-", "*", "/", "%"]
    )

    def parse_binary(self) -> Node:
        left = self.parse_unary()
        while self.peek().kind == "punct" and self.peek().text in self._BINARY:
            self.take()
            self.parse_unary()
            left = Unknown()
        return left

    def parse_unary(self) -> Node:
        if self.is_("!"):
            self.take()
            self.parse_unary()
            return Unknown()
        if self.is_("-"):
            self.take()
            operand = self.parse_unary()
            return Num(-operand.value) if isinstance(operand, Num) else Unknown()
        return self.parse_postfix()

    def parse_postfix(self) -> Node:
        node = self.parse_primary()
        while True:
            token = self.tokens[self.at]  # postfix operators never follow a newline
            if token.kind != "punct":
                return node
            if token.text in (".", ".?", "::"):
                self.at += 1
                self.take()
                node = Unknown()
            elif token.text in ("[", "[?"):
                self.at += 1
                self.skip_newlines.append(True)
                self.parse_expr()
                self.skip_newlines.pop()
                self.expect("]")
                node = Unknown()
            elif token.text == "(":
                self.at += 1
                self.parse_arguments()
                node = Unknown()
            elif token.text == "!" and self.tokens[self.at + 1].text != "=":
                self.at += 1
            else:
                return node

    def parse_arguments(self) -> None:
        self.skip_newlines.append(True)
        while not self.is_(")"):
            self.parse_expr()
            if self.is_(","):
                self.take()
        self.skip_newlines.pop()
        self.expect(")")

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind == "string":
            return Str(token.value)
        if token.kind == "number":
            return Num(int(token.text))
        if token.kind == "ident":
            if token.text in ("true", "false"):
                return Bool(token.text == "true")
            if token.text == "null":
                return Null()
            if self.is_("=>"):  # a lambda: x => body
                self.take()
                self.parse_expr()
                return Unknown()
            return Ref(token.text)
        if token.text == "(":
            self.skip_newlines.append(True)
            inner = self.parse_expr()
            if self.is_("=>") or self.is_(","):  # (a, b) => body
                while not self.is_(")"):
                    self.take()
                self.skip_newlines.pop()
                self.expect(")")
                self.expect("=>")
                self.parse_expr()
                return Unknown()
            self.skip_newlines.pop()
            self.expect(")")
            return inner
        if token.text == "{":
            self.at -= 1
            return self.parse_object(None, None)
        if token.text == "[":
            return self.parse_array()
        raise BicepSyntaxError(f"line {token.line}: unexpected {token.text!r}")

    def parse_array(self) -> Node:
        self.skip_newlines.append(False)
        self.skip_blank()
        if self.is_("for"):
            self.parse_for_head()
            if self.is_("if"):
                self.parse_condition()
            body = self.parse_expr()
            self.skip_blank()
            self.skip_newlines.pop()
            self.expect("]")
            return Loop(body)
        items: list[Node] = []
        while True:
            self.skip_blank()
            if self.is_("]"):
                break
            items.append(self.parse_expr())
            if self.is_(","):
                self.take()
        self.skip_newlines.pop()
        self.expect("]")
        return Arr(tuple(items))

    def parse_object(self, own: tuple[str, str] | None, children: list[Resource] | None) -> Obj:
        line = self.expect("{").line
        self.skip_newlines.append(False)
        props: list[Prop] = []
        while True:
            self.skip_blank()
            token = self.peek()
            if token.kind == "punct" and token.text == "}":
                break
            if token.kind == "punct" and token.text == "@":  # a decorator on a property
                self.take()
                self.parse_expr()
                continue
            following = self.tokens[self.at + 1]
            if (
                token.kind == "ident"
                and token.text == "resource"
                and following.kind == "ident"
                and children is not None
                and own is not None
            ):
                children.append(self.parse_resource(parent=own))
                continue
            self.take()
            if token.kind == "ident":
                key: str | None = token.text
            elif token.kind == "string":
                key = token.value
            else:
                raise BicepSyntaxError(f"line {token.line}: unexpected {token.text!r} in object")
            self.expect(":")
            props.append(Prop(key, self.parse_expr(), token.line))
            if self.is_(","):
                self.take()
        self.skip_newlines.pop()
        self.expect("}")
        return Obj(tuple(props), line)


def parse_bicep(source: str, path: Path | None = None) -> BicepFile:
    """The resources and variables of one Bicep source."""
    where = path or Path("<string>")
    try:
        return _Parser(source).parse_file(where)
    except BicepSyntaxError as error:
        raise BicepSyntaxError(f"{where}: {error}") from None


def parse_file(path: Path) -> BicepFile:
    return parse_bicep(path.read_text(encoding="utf-8"), path)
