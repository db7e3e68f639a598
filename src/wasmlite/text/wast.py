"""WAST scripts, the spec test suite's format: a list of commands to run.

Modules are not parsed here: a text module is handed on as its exact source
text, a ``quote`` module as its concatenated strings (which may well be
malformed: that is often what the command tests) and a ``binary`` one as bytes.
The runner decides what to do with each.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Tuple, Union

from ..errors import ParseError
from . import lexer, numbers
from .lexer import SExpr
from .parser import MODULE_FIELDS
from .reader import SHAPES, Cursor, Reader


class ModuleSource(NamedTuple):
    kind: str  # "text", "binary" or "quote"
    payload: Union[str, bytes]


class ModuleCmd(NamedTuple):
    line: int
    name: Optional[str]
    source: ModuleSource


class Register(NamedTuple):
    line: int
    as_name: str
    module_name: Optional[str]


class Invoke(NamedTuple):
    module_name: Optional[str]
    field: str
    args: tuple


class Get(NamedTuple):
    module_name: Optional[str]
    field: str


ActionT = Union[Invoke, Get]


class Action(NamedTuple):
    line: int
    action: ActionT


class AssertReturn(NamedTuple):
    line: int
    action: ActionT
    expected: tuple


class AssertTrap(NamedTuple):
    line: int
    action_or_module: Union[Invoke, Get, ModuleSource]
    message: str


class AssertExhaustion(NamedTuple):
    line: int
    action: ActionT
    message: str


class AssertInvalid(NamedTuple):
    line: int
    source: ModuleSource
    message: str


class AssertMalformed(NamedTuple):
    line: int
    source: ModuleSource
    message: str


class AssertUnlinkable(NamedTuple):
    line: int
    source: ModuleSource
    message: str


class AssertUninstantiable(NamedTuple):
    line: int
    source: ModuleSource
    message: str


class Value(NamedTuple):
    """An argument or expected result: see ``parse_script`` for the encoding of ``value``."""

    type: str
    value: object


_MODULE_ASSERTIONS = {
    "assert_invalid": AssertInvalid,
    "assert_malformed": AssertMalformed,
    "assert_unlinkable": AssertUnlinkable,
    "assert_uninstantiable": AssertUninstantiable,
}
_NAN_PATTERNS = ("nan:canonical", "nan:arithmetic")


def parse_script(source: str, filename: str = "<wast>") -> list:
    """Parse a WAST script into command objects.

    Values: ``i32``/``i64`` hold the unsigned bit pattern; ``f32``/``f64`` the raw
    bits, or in expected results ``"nan:canonical"``/``"nan:arithmetic"``; ``v128``
    a ``(shape, lanes)`` pair of unsigned lane patterns (or NaN patterns);
    ``ref.null`` ``"func"``/``"extern"``; ``ref.extern`` and ``ref.func`` an int, or
    None for an expected result that accepts any such reference.
    """
    try:
        return _ScriptParser(source).parse()
    except ParseError as e:
        raise ParseError(f"{filename}: {e.message}", e.line, e.column) from None


class _ScriptParser(Reader):
    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.lines = lexer.LineIndex(source)

    def parse(self) -> list:
        nodes = lexer.read(self.source)
        if nodes and isinstance(nodes[0], SExpr) and nodes[0].head() in MODULE_FIELDS:
            # A script may be just the fields of one module, without ``(module ...)``.
            return [ModuleCmd(self.lines.line(nodes[0].start), None, ModuleSource("text", self.source))]
        commands = []
        for node in nodes:
            if not isinstance(node, SExpr):
                raise self.unexpected(node)
            commands.append(self._command(node))
        return commands

    def _command(self, node: SExpr) -> object:
        head = node.head()
        line = self.lines.line(node.start)
        c = Cursor(node)
        if head == "module":
            name, source = self._module(node)
            return ModuleCmd(line, name, source)
        if head == "register":
            as_name = self.name(c)
            module_name = self.take_id(c)
            self.end(c)
            return Register(line, as_name, module_name)
        if head in ("invoke", "get"):
            return Action(line, self._action(node))
        if head == "assert_return":
            action = self._action(self._sub(c))
            expected = []
            while not c.done():
                expected.append(self._value(self._sub(c), expected=True))
            return AssertReturn(line, action, tuple(expected))
        if head == "assert_trap":
            sub = self._sub(c)
            target: Union[Invoke, Get, ModuleSource]
            target = self._module(sub)[1] if sub.head() == "module" else self._action(sub)
            return AssertTrap(line, target, self._message(c))
        if head == "assert_exhaustion":
            action = self._action(self._sub(c))
            return AssertExhaustion(line, action, self._message(c))
        if head in _MODULE_ASSERTIONS:
            sub = self._sub(c)
            if sub.head() != "module":
                raise self.unexpected(sub.items[0] if sub.items else sub)
            source = self._module(sub)[1]
            return _MODULE_ASSERTIONS[head](line, source, self._message(c))
        raise self.unexpected(node.items[0] if node.items else node)

    def _sub(self, c: Cursor) -> SExpr:
        item = c.peek()
        if not isinstance(item, SExpr):
            raise self.unexpected(c)
        c.i += 1
        return item

    def _message(self, c: Cursor) -> str:
        at = c.peek()
        data = self.string(c)
        self.end(c)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error(at, "malformed UTF-8 encoding") from None

    def _module(self, node: SExpr) -> Tuple[Optional[str], ModuleSource]:
        c = Cursor(node)
        name = self.take_id(c)
        word = c.peek_keyword()
        if word == "binary":
            c.i += 1
            data = self.strings(c)
            self.end(c)
            return name, ModuleSource("binary", data)
        if word == "quote":
            c.i += 1
            data = self.strings(c)
            self.end(c)
            return name, ModuleSource("quote", data.decode("utf-8", "surrogateescape"))
        return name, ModuleSource("text", self.source[node.start : node.end])

    def _action(self, node: SExpr) -> ActionT:
        head = node.head()
        c = Cursor(node)
        module_name = self.take_id(c)
        field = self.name(c)
        if head == "get":
            self.end(c)
            return Get(module_name, field)
        if head != "invoke":
            raise self.unexpected(node.items[0] if node.items else node)
        args = []
        while not c.done():
            args.append(self._value(self._sub(c), expected=False))
        return Invoke(module_name, field, tuple(args))

    def _value(self, node: SExpr, expected: bool) -> Value:
        head = node.head()
        c = Cursor(node)
        value: object
        if head in ("i32.const", "i64.const"):
            bits = 32 if head == "i32.const" else 64
            value = self.int_literal(c, bits) & ((1 << bits) - 1)
        elif head in ("f32.const", "f64.const"):
            word = c.peek_keyword()
            if expected and word in _NAN_PATTERNS:
                c.i += 1
                value = word
            else:
                value = self.float_literal(c, numbers.F32 if head == "f32.const" else numbers.F64)
        elif head == "v128.const":
            shape = c.peek_keyword()
            if shape not in SHAPES:
                raise self.unexpected(c)
            c.i += 1
            value = (shape, tuple(self.v128_lanes(c, shape, nan_patterns=expected)))
        elif head == "ref.null":
            word = c.peek_keyword()
            if word not in ("func", "extern"):
                raise self.unexpected(c)
            c.i += 1
            value = word
        elif head in ("ref.extern", "ref.func"):
            value = None
            if not (expected and c.done()):
                at = c.peek()
                word = self.keyword(c)
                try:
                    value = numbers.parse_uint(word, 64)
                except numbers.OutOfRange:
                    value = None
                if value is None:
                    raise self.unexpected(at)
        else:
            raise self.unexpected(node.items[0] if node.items else node)
        self.end(c)
        return Value(head[:-6] if head.endswith(".const") else head, value)

