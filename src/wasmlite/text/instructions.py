"""Instruction sequences of the text format, folded or flat, encoded to bytes.

Folded instructions nest without bound, so the walk keeps its own stack of
frames instead of recursing: each frame is a run of items of one s-expression
plus what to emit when the run is over (the folded operator, an ``end``, the
``if`` after its condition ...). Labels live on a separate stack shared by the
flat and folded forms, which is what ``br $l`` resolves against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple, cast

from .. import encode, syntax
from ..opcodes import BY_NAME, SELECT_TYPED, Op
from . import numbers
from .lexer import ID, KEYWORD, SExpr, Token
from .reader import SHAPES, Cursor, pack_lanes

if TYPE_CHECKING:
    from .parser import ModuleParser

_IF = BY_NAME["if"]
_ELSE = b"\x05"
_END = b"\x0b"
_BLOCK_KEYWORDS = ("block", "loop", "if")


class _Frame:
    __slots__ = ("node", "i", "stop", "on_end", "folded_only", "depth")

    def __init__(
        self,
        node: SExpr,
        i: int,
        on_end: Optional[Callable[[], None]],
        folded_only: bool = False,
        stop: Optional[int] = None,
    ) -> None:
        self.node = node
        self.i = i
        self.stop = len(node.items) if stop is None else stop
        self.on_end = on_end
        self.folded_only = folded_only
        self.depth = -1  # the label depth when the frame starts running


class _Label:
    __slots__ = ("name", "kind", "seen_else")

    def __init__(self, name: Optional[str], kind: str) -> None:
        self.name = name
        self.kind = kind
        self.seen_else = False


class CodeParser:
    """Encodes the instructions of one function body or constant expression."""

    def __init__(self, mod: "ModuleParser", locals_: Optional[Dict[str, int]]) -> None:
        self.mod = mod
        self.locals = locals_ if locals_ is not None else {}
        self.out = bytearray()
        self.labels: List[_Label] = []

    def parse(self, node: SExpr, start: int) -> bytes:
        """Encode ``node.items[start:]`` as an instruction sequence, ``end`` included."""
        mod = self.mod
        stack = [_Frame(node, start, None)]
        while stack:
            fr = stack[-1]
            if fr.depth < 0:
                fr.depth = len(self.labels)
            if fr.i >= fr.stop:
                stack.pop()
                if len(self.labels) != fr.depth:  # a flat block left open
                    raise mod.error(fr.node.end - 1, "unexpected token")
                if fr.on_end is not None:
                    fr.on_end()
                continue
            item = fr.node.items[fr.i]
            if isinstance(item, Token):
                if fr.folded_only:
                    raise mod.unexpected(item)
                fr.i = self._flat(fr, item)
            else:
                fr.i += 1
                self._folded(item, stack)
        self.out += _END
        return bytes(self.out)

    # -- the two forms ---------------------------------------------------------------

    def _flat(self, fr: _Frame, tok: Token) -> int:
        """Encode the flat instruction at ``tok``; returns the index after it."""
        mod = self.mod
        if tok.kind != KEYWORD:
            raise mod.unexpected(tok)
        name = tok.value
        c = Cursor(fr.node, fr.i + 1)
        if name in _BLOCK_KEYWORDS:
            self._open_block(name, c)
        elif name == "else" or name == "end":
            if len(self.labels) <= fr.depth:
                raise mod.unexpected(tok)
            label = self.labels[-1]
            if name == "else":
                if label.kind != "if" or label.seen_else:
                    raise mod.unexpected(tok)
                label.seen_else = True
            self._check_label(c, label)
            if name == "end":
                self.labels.pop()
            self.out += _ELSE if name == "else" else _END
        else:
            self.out += self._plain(tok, c)
        return c.i

    def _folded(self, node: SExpr, stack: List[_Frame]) -> None:
        mod = self.mod
        head = node.head()
        if head is None:
            raise mod.unexpected(node.items[0] if node.items else node)
        c = Cursor(node)
        if head == "block" or head == "loop":
            self._open_block(head, c)
            stack.append(_Frame(node, c.i, self._close_block))
            return
        if head == "if":
            self._folded_if(node, c, stack)
            return
        code = self._plain(cast(Token, node.items[0]), c)
        stack.append(_Frame(node, c.i, lambda: self.out.extend(code), folded_only=True))

    def _folded_if(self, node: SExpr, c: Cursor, stack: List[_Frame]) -> None:
        mod = self.mod
        label = mod.take_id(c)
        bt = self._blocktype(c)
        items = node.items
        j = c.i
        while j < len(items) and not _is_list(items[j], "then"):
            j += 1
        if j == len(items):
            raise mod.error(node.end - 1, "unexpected token")
        then_node = cast(SExpr, items[j])
        else_node: Optional[SExpr] = None
        if j + 1 < len(items):
            if not _is_list(items[j + 1], "else"):
                raise mod.unexpected(items[j + 1])
            else_node = cast(SExpr, items[j + 1])
            if j + 2 < len(items):
                raise mod.unexpected(items[j + 2])

        def start_then() -> None:
            self.out += encode.instr(_IF, bt)
            self.labels.append(_Label(label, "if"))

        if else_node is not None:
            stack.append(_Frame(else_node, 1, self._close_block))
            stack.append(_Frame(then_node, 1, lambda: self.out.extend(_ELSE)))
        else:
            stack.append(_Frame(then_node, 1, self._close_block))
        stack.append(_Frame(node, c.i, start_then, folded_only=True, stop=j))

    def _open_block(self, kind: str, c: Cursor) -> None:
        label = self.mod.take_id(c)
        bt = self._blocktype(c)
        self.out += encode.instr(BY_NAME[kind], bt)
        self.labels.append(_Label(label, kind))

    def _close_block(self) -> None:
        self.labels.pop()
        self.out += _END

    def _check_label(self, c: Cursor, label: _Label) -> None:
        item = c.peek()
        name = self.mod.take_id(c)
        if name is not None and name != label.name:
            raise self.mod.error(item, "mismatching label")

    def _blocktype(self, c: Cursor) -> int:
        mod = self.mod
        if c.peek_head() not in ("type", "param", "result"):
            return syntax.BLOCK_EMPTY
        at = c.peek()
        use = mod.typeuse(c, names=False)
        if use.index is None and not use.params and len(use.results) <= 1:
            if use.results:
                return syntax.blocktype_of_valtype(use.results[0])
            return syntax.BLOCK_EMPTY
        return mod.resolve_typeuse(use, at)

    # -- plain instructions and their immediates -------------------------------------

    def _plain(self, tok: Token, c: Cursor) -> bytes:
        mod = self.mod
        op = BY_NAME.get(tok.value)
        if op is None or tok.value in ("else", "end", "block", "loop", "if"):
            raise mod.unexpected(tok)
        if op.name == "memory.init" or op.name == "data.drop":
            mod.uses_data_count = True  # their validation needs the data count section
        kind = op.imm
        if not kind:
            if op.name == "select" and c.peek_head() == "result":
                types: List[int] = []
                while c.peek_head() == "result":
                    sub = Cursor(c.take_list())
                    while not sub.done():
                        types.append(mod.valtype(sub))
                return encode.instr(SELECT_TYPED, tuple(types))
            return encode.instr(op)
        return encode.instr(op, self._immediate(op, kind, c))

    def _immediate(self, op: Op, kind: str, c: Cursor) -> object:
        mod = self.mod
        if kind == "label":
            return self._label(c)
        if kind == "br_table":
            labels = [self._label(c)]
            while is_index(c.peek()):
                labels.append(self._label(c))
            default = labels.pop()
            return (tuple(labels), default)
        if kind == "local":
            return self._local(c)
        if kind in ("func", "global", "elem", "data"):
            return mod.index(c, kind)
        if kind == "table":
            return mod.index(c, "table") if is_index(c.peek()) else 0
        if kind == "memory":
            return mod.index(c, "memory") if is_index(c.peek()) else 0
        if kind == "call_indirect":
            table = mod.index(c, "table") if is_index(c.peek()) else 0
            at = c.peek()
            use = mod.typeuse(c, names=False)
            return (mod.resolve_typeuse(use, at if at is not None else c.node), table)
        if kind == "memarg":
            return self._memarg(op, c)
        if kind == "memarg_lane":
            align, offset = self._memarg(op, c)
            return (align, offset, self._lane(c))
        if kind == "i32" or kind == "i64":
            return mod.int_literal(c, 32 if kind == "i32" else 64)
        if kind == "f32":
            return mod.float_literal(c, numbers.F32)
        if kind == "f64":
            return mod.float_literal(c, numbers.F64)
        if kind == "v128":
            shape = c.peek_keyword()
            if shape not in SHAPES:
                raise mod.unexpected(c)
            c.i += 1
            return pack_lanes(shape, cast(List[int], mod.v128_lanes(c, shape)))
        if kind == "lane":
            return self._lane(c)
        if kind == "shuffle":
            return self._shuffle(c)
        if kind == "reftype":
            return mod.heaptype(c)
        if kind == "table_init" or kind == "memory_init":
            space, target = ("elem", "table") if kind == "table_init" else ("data", "memory")
            first = mod.index(c, space if not is_index(_peek2(c)) else target)
            if is_index(c.peek()):
                return (mod.index(c, space), first)
            return (first, 0)
        # table_copy, memory_copy: both indices or neither
        space = "table" if kind == "table_copy" else "memory"
        if not is_index(c.peek()):
            return (0, 0)
        return (mod.index(c, space), mod.index(c, space))

    def _label(self, c: Cursor) -> int:
        item = c.peek()
        if isinstance(item, Token) and item.kind == ID:
            c.i += 1
            for depth, label in enumerate(reversed(self.labels)):
                if label.name == item.value:
                    return depth
            raise self.mod.error(item, f"unknown label ${item.value}")
        return self.mod.u32(c)

    def _local(self, c: Cursor) -> int:
        item = c.peek()
        if isinstance(item, Token) and item.kind == ID:
            c.i += 1
            index = self.locals.get(item.value)
            if index is None:
                raise self.mod.error(item, f"unknown local ${item.value}")
            return index
        return self.mod.u32(c)

    def _memarg(self, op: Op, c: Cursor) -> Tuple[int, int]:
        mod = self.mod
        offset = 0
        align = op.mem_size.bit_length() - 1
        word = c.peek_keyword()
        if word is not None and word.startswith("offset="):
            offset = self._memarg_number(c, word[7:])
            word = c.peek_keyword()
        if word is not None and word.startswith("align="):
            value = self._memarg_number(c, word[6:])
            if value == 0 or value & (value - 1):
                raise mod.error(c.items[c.i - 1], "alignment must be a power of two")
            align = value.bit_length() - 1
        return align, offset

    def _memarg_number(self, c: Cursor, text: str) -> int:
        item = c.take()
        try:
            value = numbers.parse_uint(text, 32)
        except numbers.OutOfRange:
            raise self.mod.error(item, "i32 constant out of range") from None
        if value is None:
            raise self.mod.error(item, "unknown operator")
        return value

    def _lane(self, c: Cursor) -> int:
        word = c.peek_keyword()
        if word is None:
            raise self.mod.unexpected(c)
        try:
            value = numbers.parse_uint(word, 8)
        except numbers.OutOfRange:
            raise self.mod.error(c, "malformed lane index") from None
        if value is None:
            raise self.mod.unexpected(c)
        c.i += 1
        return value

    def _shuffle(self, c: Cursor) -> Tuple[int, ...]:
        lanes = []
        while True:
            word = c.peek_keyword()
            if word is None or not _is_number_word(word):
                break
            try:
                value = numbers.parse_uint(word, 8)
            except numbers.OutOfRange:
                value = None
            if value is None:
                raise self.mod.error(c, "malformed lane index")
            lanes.append(value)
            c.i += 1
        if len(lanes) != 16:
            raise self.mod.error(c, "invalid lane length")
        return tuple(lanes)


def is_index(item: object) -> bool:
    """Whether ``item`` can only be an index: an identifier or an unsigned number."""
    if not isinstance(item, Token):
        return False
    if item.kind == ID:
        return True
    return item.kind == KEYWORD and item.value[:1].isdigit()


def _is_list(item: object, head: str) -> bool:
    return isinstance(item, SExpr) and item.head() == head


def _peek2(c: Cursor) -> object:
    return c.items[c.i + 1] if c.i + 1 < len(c.items) else None


def _is_number_word(word: str) -> bool:
    try:
        return numbers.parse_float(word, numbers.F64) is not None
    except numbers.OutOfRange:
        return True
