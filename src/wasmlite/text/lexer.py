"""Tokens and s-expressions of the WebAssembly text format (shared by WAT and WAST).

Reading goes in two steps: ``tokenize`` splits the source into tokens, and
``read`` groups them into a tree of ``SExpr`` nodes with an explicit stack, so
that no nesting depth can exhaust Python's recursion limit. Tokens keep their
source offset; ``position`` turns one into a line and column only when an error
needs it, which keeps the common path cheap.
"""

from __future__ import annotations

import bisect
import re
from typing import Any, Iterator, List, Optional, Tuple, Union

from ..errors import ParseError

# Token kinds.
LPAREN = "("
RPAREN = ")"
KEYWORD = "keyword"  # keywords and numbers: they are told apart only in context
ID = "id"  # ``$name``; the value is the name without the ``$``
STRING = "string"  # the value is the bytes the literal denotes

_IDCHARS = r"0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~"
_DELIMITER = r"(?=[ \t\n\r();]|\Z)"
# Whitespace and line comments. Each run is matched whole (the lookaheads), so the
# text splits into runs one way only: when the token after it fails to match,
# backtracking is linear, not exponential in the length of the run.
_BLANK = r"(?:[ \t\n\r]+(?![ \t\n\r])|;;[^\n\r]*(?![^\n\r]))*"
# One token with the whitespace and line comments before it. A token is a run of
# idchars and strings up to whitespace, a parenthesis or ``;``; a run that is not
# exactly one idchar sequence or one string is "reserved", and malformed.
_TOKEN = re.compile(
    rf"""{_BLANK}
    (?:
      (\((?!;))
    | (\))
    | ([{_IDCHARS}]+){_DELIMITER}
    | "((?:[^"\\]|\\.)*)"{_DELIMITER}
    | (\(;)
    | ((?:[^ \t\n\r();"]+|"(?:[^"\\]|\\.)*")+)
    | \Z
    )""",
    re.VERBOSE | re.DOTALL,
)
_SKIP = re.compile(_BLANK)
_BAD_STRING_CHAR = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{2})|u\{([0-9a-fA-F](?:_?[0-9a-fA-F])*)\}|(.))", re.DOTALL)
_SIMPLE_ESCAPES = {"t": b"\t", "n": b"\n", "r": b"\r", '"': b'"', "'": b"'", "\\": b"\\"}
_COMMENT_PART = re.compile(r"\(;|;\)")


class Token:
    """``value`` is a str for keywords and identifiers, bytes for strings."""

    __slots__ = ("kind", "value", "pos")

    def __init__(self, kind: str, value: Any, pos: int) -> None:
        self.kind = kind
        self.value = value
        self.pos = pos

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.value!r}, {self.pos})"


class SExpr:
    """A parenthesised list; ``source[start:end]`` is its text, parentheses included."""

    __slots__ = ("items", "start", "end")

    def __init__(self, items: List["Node"], start: int, end: int) -> None:
        self.items = items
        self.start = start
        self.end = end

    def head(self) -> Optional[str]:
        """The leading keyword, if the list starts with one."""
        if self.items:
            first = self.items[0]
            if isinstance(first, Token) and first.kind == KEYWORD:
                return first.value
        return None

    def __repr__(self) -> str:
        return f"SExpr({self.items!r})"


Node = Union[Token, SExpr]


def position(source: str, pos: int) -> Tuple[int, int]:
    """1-based line and column of offset ``pos``."""
    line = source.count("\n", 0, pos)
    col = pos - (source.rfind("\n", 0, pos) + 1)
    return line + 1, col + 1


class LineIndex:
    """Line numbers of many offsets of one source, by binary search."""

    def __init__(self, source: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self._starts, pos)


def error(source: str, pos: int, message: str) -> ParseError:
    line, col = position(source, pos)
    return ParseError(message, line, col)


def decode_string(body: str, source: str, pos: int) -> bytes:
    """The bytes a string literal's body (between the quotes) denotes."""
    bad = _BAD_STRING_CHAR.search(body)
    if bad:
        raise error(source, pos + 1 + bad.start(), "illegal control character in string")
    if "\\" not in body:
        return _utf8(body, source, pos)
    out = bytearray()
    last = 0
    for m in _ESCAPE.finditer(body):
        out += _utf8(body[last : m.start()], source, pos)
        last = m.end()
        hh, code, other = m.groups()
        if hh is not None:
            out.append(int(hh, 16))
        elif code is not None:
            c = int(code.replace("_", ""), 16)
            if c >= 0x110000 or 0xD800 <= c < 0xE000:
                raise error(source, pos + 1 + m.start(), "malformed UTF-8 encoding")
            out += chr(c).encode("utf-8")
        elif other in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[other]
        else:
            raise error(source, pos + 1 + m.start(), "illegal escape")
    out += _utf8(body[last:], source, pos)
    return bytes(out)


def _utf8(text: str, source: str, pos: int) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from undecodable input bytes
        raise error(source, pos, "malformed UTF-8 encoding") from None


def tokenize(source: str) -> Iterator[Token]:
    """Split ``source`` into tokens, dropping whitespace and comments."""
    match = _TOKEN.match
    pos = 0
    while True:
        m = match(source, pos)
        if m is None:
            pos = _SKIP.match(source, pos).end()  # type: ignore[union-attr]
            message = "unclosed string literal" if source[pos] == '"' else "malformed character"
            raise error(source, pos, message)
        group = m.lastindex
        if group is None:
            return
        start = m.start(group)
        pos = m.end()
        if group == 3:
            text = m.group(3)
            if text[0] != "$":
                yield Token(KEYWORD, text, start)
            elif len(text) > 1:
                yield Token(ID, text[1:], start)
            else:
                raise error(source, start, "empty identifier")
        elif group == 1:
            yield Token(LPAREN, "(", start)
        elif group == 2:
            yield Token(RPAREN, ")", start)
        elif group == 4:
            yield Token(STRING, decode_string(m.group(4), source, start), start)
        elif group == 5:
            pos = _skip_block_comment(source, start)
        else:
            if m.group(6).count('"') % 2:
                raise error(source, start, "unclosed string literal")
            raise error(source, start, "unknown operator")


def _skip_block_comment(source: str, pos: int) -> int:
    """The offset just after the (possibly nested) block comment starting at ``pos``."""
    depth = 0
    for m in _COMMENT_PART.finditer(source, pos):
        depth += 1 if m.group() == "(;" else -1
        if depth == 0:
            return m.end()
    raise error(source, pos, "unclosed comment")


def read(source: str) -> List[Node]:
    """Tokenize ``source`` and group the tokens into s-expressions."""
    nodes, err, _ = read_partial(source)
    if err is not None:
        raise err
    return nodes


def read_partial(source: str) -> Tuple[List[Node], Optional[ParseError], int]:
    """Like ``read``, but a surplus ``)`` is not raised at once: the complete
    s-expressions before it come back with the error and its offset, so that a
    parser can report an earlier error first, as one reading as it lexes would."""
    top: List[Node] = []
    stack: List[Tuple[List[Node], int]] = []
    items = top
    for tok in tokenize(source):
        kind = tok.kind
        if kind == LPAREN:
            stack.append((items, tok.pos))
            items = []
        elif kind == RPAREN:
            if not stack:
                return top, error(source, tok.pos, "unexpected token"), tok.pos
            outer, start = stack.pop()
            outer.append(SExpr(items, start, tok.pos + 1))
            items = outer
        else:
            items.append(tok)
    if stack:
        raise error(source, stack[-1][1], "unclosed parenthesis")
    return top, None, len(source)
