"""Function bodies, read lazily: the locals declaration and one instruction at a time.

``read_instr`` is the validator's and translator's inner loop, so it dispatches on
the opcode byte through 256-entry tables built once at import: ``PLAIN_OPS`` holds
the ``Op`` of each instruction without an immediate, ``INDEX_OPS`` that of each one
whose immediate is a single u32 index (both handled inline, the most common
cases), and ``READERS`` a reader per opcode byte for everything else (other
immediates, the 0xFC/0xFD prefixes, illegal opcodes), with its ``Op`` bound in.
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import opcodes, syntax
from ..errors import DecodeError
from ..opcodes import Op
from .reader import (
    UNEXPECTED_END,
    read_len,
    read_reftype,
    read_s32,
    read_s33,
    read_s64,
    read_u32,
    read_valtype,
)

MAX_LOCALS = 50000
"""Implementation limit on the locals one function declares (as in V8): the spec
allows up to 2**32-1, which a runtime that materialises locals cannot honour."""

_MAX_U32 = 0xFFFFFFFF

Reader = Callable[[bytes, int, int], Tuple[Op, Any, int]]

_U32 = struct.Struct("<I").unpack_from
_U64 = struct.Struct("<Q").unpack_from
_VALUE_TYPES = frozenset(syntax.VALUE_TYPES)


def read_locals(body: syntax.FuncBody) -> Tuple[Tuple[int, ...], int]:
    """The body's declared locals, one value type each, and where its code starts."""
    decls, _, pos = read_local_decls(body)
    out: List[int] = []
    for n, t in decls:
        out.extend((t,) * n)
    return tuple(out), pos


def read_local_decls(body: syntax.FuncBody) -> Tuple[List[Tuple[int, int]], int, int]:
    """The body's locals declaration as ``(count, type)`` runs, their total, and
    where its code starts: for a validator that need not expand the runs."""
    source, pos, end = body.source, body.start, body.end
    runs, pos = read_len(source, pos, end)
    decls: List[Tuple[int, int]] = []
    total = 0
    for _ in range(runs):
        n, pos = read_u32(source, pos, end)
        t, pos = read_valtype(source, pos, end)
        total += n
        decls.append((n, t))
    if total > _MAX_U32:
        raise DecodeError("too many locals", body.start)
    if total > MAX_LOCALS:
        raise DecodeError(f"local count {total} exceeds the implementation limit of {MAX_LOCALS}", body.start)
    return decls, total, pos


def read_instr(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
    """One instruction at ``pos``: ``(op, immediate, position after it)``."""
    if pos < end:
        b = source[pos]
        op = PLAIN_OPS[b]
        if op is not None:
            return op, None, pos + 1
        op = INDEX_OPS[b]
        if op is not None:
            pos += 1
            if pos < end:
                b = source[pos]
                if b < 0x80:
                    return op, b, pos + 1
            index, pos = read_u32(source, pos, end)
            return op, index, pos
        return READERS[b](source, pos + 1, end)
    raise DecodeError(UNEXPECTED_END, pos)


# -- immediate readers, one factory per immediate kind ------------------------------
# Each factory takes the Op and returns a reader of (source, pos after opcode, end).


def _no_imm(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        return op, None, pos

    return read


def _index(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        if pos < end:
            b = source[pos]
            if b < 0x80:
                return op, b, pos + 1
        v, pos = read_u32(source, pos, end)
        return op, v, pos

    return read


def _index_pair(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        x, pos = read_u32(source, pos, end)
        y, pos = read_u32(source, pos, end)
        return op, (x, y), pos

    return read


def _zero_byte(source: bytes, pos: int, end: int) -> int:
    """The reserved memory index of 2.0: exactly one 0x00 byte."""
    if pos >= end:
        raise DecodeError(UNEXPECTED_END, pos)
    if source[pos]:
        raise DecodeError("zero byte expected", pos)
    return pos + 1


def _zero_index(source: bytes, pos: int, end: int) -> int:
    """The memory index of the bulk memory instructions, which must be 0 in 2.0.

    The spec encodes it as one 0x00 byte, but wasmparser (so wasmtime) reads a
    u32, accepting an over-long zero; the suite tests only ``memory.size`` and
    ``memory.grow`` for that (``_zero_byte``), so here we side with the reference.
    """
    start = pos
    index, pos = read_u32(source, pos, end)
    if index:
        raise DecodeError("zero byte expected", start)
    return pos


def _memory(op: Op) -> Reader:
    zero = _zero_index if op.prefix == opcodes.PREFIX_FC else _zero_byte  # memory.fill

    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        return op, 0, zero(source, pos, end)

    return read


def _memory_init(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        x, pos = read_u32(source, pos, end)
        return op, (x, 0), _zero_index(source, pos, end)

    return read


def _memory_copy(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        pos = _zero_index(source, pos, end)
        return op, (0, 0), _zero_index(source, pos, end)

    return read


def _blocktype(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        if pos >= end:
            raise DecodeError(UNEXPECTED_END, pos)
        b = source[pos]
        if b < 0x80:
            if b < 0x40:
                return op, b, pos + 1  # a small type index
            if b == 0x40:
                return op, syntax.BLOCK_EMPTY, pos + 1
            if b in _VALUE_TYPES:
                return op, b - 0x80, pos + 1
            raise DecodeError("malformed value type", pos)
        bt, after = read_s33(source, pos, end)
        if bt < 0:  # a multi-byte encoding of a negative number is no block type
            raise DecodeError("malformed block type", pos)
        return op, bt, after

    return read


def _signed(read_int: Callable[[bytes, int, int], Tuple[int, int]]) -> Callable[[Op], Reader]:
    def factory(op: Op) -> Reader:
        def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
            if pos < end:
                b = source[pos]
                if b < 0x80:
                    return op, (b ^ 0x40) - 0x40, pos + 1
            v, pos = read_int(source, pos, end)
            return op, v, pos

        return read

    return factory


def _f32(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        if pos + 4 > end:
            raise DecodeError(UNEXPECTED_END, end)
        return op, _U32(source, pos)[0], pos + 4

    return read


def _f64(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        if pos + 8 > end:
            raise DecodeError(UNEXPECTED_END, end)
        return op, _U64(source, pos)[0], pos + 8

    return read


def _v128(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        if pos + 16 > end:
            raise DecodeError(UNEXPECTED_END, end)
        return op, int.from_bytes(source[pos : pos + 16], "little"), pos + 16

    return read


def _shuffle(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        if pos + 16 > end:
            raise DecodeError(UNEXPECTED_END, end)
        return op, tuple(source[pos : pos + 16]), pos + 16

    return read


def _lane(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        if pos >= end:
            raise DecodeError(UNEXPECTED_END, pos)
        return op, source[pos], pos + 1

    return read


def _read_memarg(source: bytes, pos: int, end: int) -> Tuple[int, int, int]:
    if pos < end and source[pos] < 0x20:
        align = source[pos]
        pos += 1
    else:
        start = pos
        align, pos = read_u32(source, pos, end)
        if align >= 0x20:
            raise DecodeError("malformed memop flags", start)
    if pos < end and source[pos] < 0x80:
        return align, source[pos], pos + 1
    offset, pos = read_u32(source, pos, end)
    return align, offset, pos


MEMARGS: Dict[int, Tuple[int, int]] = {}
"""The ``(align, offset)`` immediates of the two-byte encoding, keyed ``align << 7 |
offset``, each made once (at most 4096): the IR keeps a memory access's immediate
for as long as its function stays loaded (graphviz's tier 0: 19,118 of them, 607
distinct). Public: the translator's walk looks them up itself."""


def _memarg(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        if pos + 1 < end:
            align = source[pos]
            offset = source[pos + 1]
            if align < 0x20 and offset < 0x80:
                imm = MEMARGS.get(align << 7 | offset)
                if imm is None:
                    imm = MEMARGS[align << 7 | offset] = (align, offset)
                return op, imm, pos + 2
        align, offset, pos = _read_memarg(source, pos, end)
        return op, (align, offset), pos

    return read


def _memarg_lane(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        align, offset, pos = _read_memarg(source, pos, end)
        if pos >= end:
            raise DecodeError(UNEXPECTED_END, pos)
        return op, (align, offset, source[pos]), pos + 1

    return read


def _br_table(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        n, pos = read_len(source, pos, end)
        labels = []
        for _ in range(n):
            if pos < end and source[pos] < 0x80:
                labels.append(source[pos])
                pos += 1
            else:
                label, pos = read_u32(source, pos, end)
                labels.append(label)
        default, pos = read_u32(source, pos, end)
        return op, (tuple(labels), default), pos

    return read


def _select_types(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        n, pos = read_len(source, pos, end)
        types = []
        for _ in range(n):
            t, pos = read_valtype(source, pos, end)
            types.append(t)
        return op, tuple(types), pos

    return read


def _reftype(op: Op) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        t, pos = read_reftype(source, pos, end)
        return op, t, pos

    return read


_FACTORIES: Dict[str, Callable[[Op], Reader]] = {
    "": _no_imm,
    "blocktype": _blocktype,
    "label": _index,
    "func": _index,
    "local": _index,
    "global": _index,
    "table": _index,
    "elem": _index,
    "data": _index,
    "br_table": _br_table,
    "call_indirect": _index_pair,
    "table_init": _index_pair,
    "table_copy": _index_pair,
    "memarg": _memarg,
    "memarg_lane": _memarg_lane,
    "memory": _memory,
    "memory_init": _memory_init,
    "memory_copy": _memory_copy,
    "i32": _signed(read_s32),
    "i64": _signed(read_s64),
    "f32": _f32,
    "f64": _f64,
    "v128": _v128,
    "lane": _lane,
    "shuffle": _shuffle,
    "select_types": _select_types,
    "reftype": _reftype,
}


def _illegal(code: int) -> Reader:
    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        raise DecodeError(f"illegal opcode {code:#04x}", pos - 1)

    return read


def _prefixed(prefix: int, table: Dict[int, Op]) -> Reader:
    readers = {code: _FACTORIES[op.imm](op) for code, op in table.items()}

    def read(source: bytes, pos: int, end: int) -> Tuple[Op, Any, int]:
        start = pos - 1
        if pos < end and source[pos] < 0x80:
            code = source[pos]
            pos += 1
        else:
            code, pos = read_u32(source, pos, end)
        reader = readers.get(code)
        if reader is None:
            raise DecodeError(f"illegal opcode {prefix:#04x} {code}", start)
        return reader(source, pos, end)

    return read


def _build() -> Tuple[List[Optional[Op]], List[Optional[Op]], List[Reader]]:
    plain: List[Optional[Op]] = [None] * 256
    index: List[Optional[Op]] = [None] * 256
    read: List[Reader] = [_illegal(b) for b in range(256)]
    for code, op in opcodes.SINGLE_BYTE.items():
        if not op.imm:
            plain[code] = op
        elif _FACTORIES[op.imm] is _index:
            index[code] = op
        else:
            read[code] = _FACTORIES[op.imm](op)
    for prefix, table in opcodes.BY_PREFIX.items():
        read[prefix] = _prefixed(prefix, table)
    return plain, index, read


PLAIN_OPS, INDEX_OPS, READERS = _build()
"""(Public: the translator's walk reads what ``INDEX_OPS`` and ``READERS`` say inline.)"""
