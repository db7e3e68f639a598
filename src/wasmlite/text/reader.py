"""Walking s-expressions: the cursor and error helpers both text parsers share.

Error wording follows the reference interpreter, whose messages the spec test
suite expects: a keyword the format does not know is an "unknown operator",
while a known keyword (or a number) in the wrong place is an "unexpected token".
"""

from __future__ import annotations

from typing import List, Optional, cast

from .. import syntax
from ..errors import ParseError
from ..opcodes import BY_NAME
from . import lexer, numbers
from .lexer import ID, KEYWORD, STRING, Node, SExpr, Token

_STRUCTURAL = frozenset(
    """
    module type func param result local import export table memory global elem data
    start offset item declare mut funcref externref extern then else end block loop if
    i32 i64 f32 f64 v128 i8x16 i16x8 i32x4 i64x2 f32x4 f64x2 binary quote register invoke
    get assert_return assert_trap assert_exhaustion assert_malformed assert_invalid
    assert_unlinkable assert_uninstantiable nan:canonical nan:arithmetic ref.extern
    """.split()
)


def is_known(word: str) -> bool:
    """Whether the reference lexer would accept ``word`` as some token."""
    if word in BY_NAME or word in _STRUCTURAL:
        return True
    for prefix in ("offset=", "align="):
        if word.startswith(prefix):
            return _is_number(word[len(prefix):], unsigned=True)
    return _is_number(word, unsigned=False)


def _is_number(word: str, unsigned: bool) -> bool:
    try:
        if unsigned:
            return numbers.parse_uint(word, 64) is not None
        return numbers.parse_float(word, numbers.F64) is not None
    except numbers.OutOfRange:
        return True


class Cursor:
    """A position in the items of one s-expression."""

    __slots__ = ("node", "items", "i")

    def __init__(self, node: SExpr, i: int = 1) -> None:
        self.node = node
        self.items = node.items
        self.i = i

    def peek(self) -> Optional[Node]:
        return self.items[self.i] if self.i < len(self.items) else None

    def peek_head(self) -> Optional[str]:
        item = self.peek()
        return item.head() if isinstance(item, SExpr) else None

    def peek_keyword(self) -> Optional[str]:
        item = self.peek()
        if isinstance(item, Token) and item.kind == KEYWORD:
            return item.value
        return None

    def take(self) -> Optional[Node]:
        item = self.peek()
        if item is not None:
            self.i += 1
        return item

    def take_list(self) -> SExpr:
        """The next item, which the caller has checked is a list (by ``peek_head``)."""
        item = self.items[self.i]
        self.i += 1
        return cast(SExpr, item)

    def done(self) -> bool:
        return self.i >= len(self.items)


class Reader:
    """Error reporting and the small token grammars (strings, names, numbers, types)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, where: object, message: str) -> ParseError:
        """An error at a node, at a cursor's next item (or its list's end), or at an offset."""
        if isinstance(where, Cursor):
            item = where.peek()
            pos = where.node.end - 1 if item is None else _pos(item)
        elif isinstance(where, int):
            pos = where
        else:
            pos = _pos(where)
        return lexer.error(self.source, pos, message)

    def unexpected(self, where: object) -> ParseError:
        item = where.peek() if isinstance(where, Cursor) else where
        if isinstance(item, Token) and item.kind == KEYWORD and not is_known(item.value):
            return self.error(where, f"unknown operator {item.value}")
        return self.error(where, "unexpected token")

    def end(self, c: Cursor) -> None:
        """Require that ``c`` is at the end of its list."""
        if not c.done():
            raise self.unexpected(c)

    def keyword(self, c: Cursor) -> str:
        word = c.peek_keyword()
        if word is None:
            raise self.unexpected(c)
        c.i += 1
        return word

    def take_id(self, c: Cursor) -> Optional[str]:
        item = c.peek()
        if isinstance(item, Token) and item.kind == ID:
            c.i += 1
            return item.value
        return None

    def string(self, c: Cursor) -> bytes:
        item = c.peek()
        if not (isinstance(item, Token) and item.kind == STRING):
            raise self.unexpected(c)
        c.i += 1
        return item.value

    def strings(self, c: Cursor) -> bytes:
        """Zero or more strings, concatenated."""
        out: List[bytes] = []
        while True:
            item = c.peek()
            if not (isinstance(item, Token) and item.kind == STRING):
                return b"".join(out)
            out.append(item.value)
            c.i += 1

    def name(self, c: Cursor) -> str:
        item = c.peek()
        data = self.string(c)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise self.error(item, "malformed UTF-8 encoding") from None

    def u32(self, c: Cursor) -> int:
        item = c.peek()
        word = self.keyword(c)
        try:
            value = numbers.parse_uint(word, 32)
        except numbers.OutOfRange:
            raise self.error(item, "i32 constant out of range") from None
        if value is None:
            raise self.unexpected(item)
        return value

    def int_literal(self, c: Cursor, bits: int) -> int:
        """An ``iN`` constant, signed as the binary encodes it."""
        item = c.peek()
        word = self.keyword(c)
        try:
            value = numbers.parse_int(word, bits)
        except numbers.OutOfRange:
            raise self.error(item, "constant out of range") from None
        if value is None:
            raise self.unexpected(item)
        return value

    def float_literal(self, c: Cursor, fmt: numbers.Format) -> int:
        item = c.peek()
        word = self.keyword(c)
        try:
            value = numbers.parse_float(word, fmt)
        except numbers.OutOfRange:
            raise self.error(item, "constant out of range") from None
        if value is None:
            raise self.unexpected(item)
        return value

    def v128_lanes(self, c: Cursor, shape: str, nan_patterns: bool = False) -> List[object]:
        """The lanes of ``v128.const shape ...``, each an unsigned bit pattern (or, with
        ``nan_patterns``, a ``nan:canonical``/``nan:arithmetic`` string for float shapes)."""
        count, bits = SHAPES[shape]
        # Count the lanes first, as the reference parser does: any keyword but an
        # instruction or structural word (so numbers, malformed ones too) is one.
        n = 0
        while n <= count:
            word = _keyword_at(c, c.i + n)
            if word is None or not _is_lane_word(word):
                break
            n += 1
        if n != count:
            raise self.error(c, "wrong number of lane literals")
        lanes: List[object] = []
        for _ in range(count):
            word = c.peek_keyword()
            if shape[0] == "f":
                if nan_patterns and word in ("nan:canonical", "nan:arithmetic"):
                    c.i += 1
                    lanes.append(word)
                else:
                    lanes.append(self.float_literal(c, numbers.F32 if bits == 32 else numbers.F64))
            else:
                lanes.append(self.int_literal(c, bits) & ((1 << bits) - 1))
        return lanes

    def valtype(self, c: Cursor) -> int:
        word = c.peek_keyword()
        t = syntax.VALTYPE_BY_NAME.get(word) if word is not None else None
        if t is None:
            raise self.unexpected(c)
        c.i += 1
        return t

    def reftype(self, c: Cursor) -> int:
        word = c.peek_keyword()
        if word == "funcref":
            c.i += 1
            return syntax.FUNCREF
        if word == "externref":
            c.i += 1
            return syntax.EXTERNREF
        raise self.unexpected(c)

    def heaptype(self, c: Cursor) -> int:
        """``func`` or ``extern``, as in ``ref.null func``: the matching reference type."""
        word = c.peek_keyword()
        if word == "func":
            c.i += 1
            return syntax.FUNCREF
        if word == "extern":
            c.i += 1
            return syntax.EXTERNREF
        raise self.unexpected(c)


SHAPES = {"i8x16": (16, 8), "i16x8": (8, 16), "i32x4": (4, 32), "i64x2": (2, 64), "f32x4": (4, 32), "f64x2": (2, 64)}


def pack_lanes(shape: str, lanes: List[int]) -> int:
    """The little-endian 128-bit value of unsigned lane bit patterns."""
    bits = SHAPES[shape][1]
    value = 0
    for i, lane in enumerate(lanes):
        value |= lane << (i * bits)
    return value


def _keyword_at(c: Cursor, i: int) -> Optional[str]:
    item = c.items[i] if i < len(c.items) else None
    if isinstance(item, Token) and item.kind == KEYWORD:
        return item.value
    return None


def _is_lane_word(word: str) -> bool:
    return word in ("nan:canonical", "nan:arithmetic") or not (word in BY_NAME or word in _STRUCTURAL)


def _pos(node: object) -> int:
    if isinstance(node, Token):
        return node.pos
    return node.start if isinstance(node, SExpr) else 0
