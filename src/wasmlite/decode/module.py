"""Decoding a whole module: the header and every section of WebAssembly 2.0.

Like the spec's reference decoder, a section's entries are read against the end of
the whole binary and the section size is checked afterwards ("section size
mismatch"); that keeps our error messages the ones the test suite expects. Only
custom sections are read strictly within their size, since their payload is opaque.

Function bodies are not parsed here: the code section only records where each
body lies (``syntax.FuncBody``), and ``decode.body`` reads them when needed.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Tuple

from .. import opcodes, syntax
from ..encode import uleb
from ..errors import DecodeError
from .body import read_instr
from .names import parse_names
from .reader import (
    UNEXPECTED_END,
    read_byte,
    read_bytes,
    read_len,
    read_name,
    read_reftype,
    read_s7,
    read_u1,
    read_u32,
    read_valtype,
)

MAGIC = b"\x00asm"
VERSION = b"\x01\x00\x00\x00"

CUSTOM, TYPE, IMPORT, FUNCTION, TABLE, MEMORY, GLOBAL, EXPORT = 0, 1, 2, 3, 4, 5, 6, 7
START, ELEMENT, CODE, DATA, DATA_COUNT = 8, 9, 10, 11, 12

# Rank of each non-custom section id in the required order (data count sits
# between the element and code sections).
_ORDER = {
    TYPE: 1, IMPORT: 2, FUNCTION: 3, TABLE: 4, MEMORY: 5, GLOBAL: 6, EXPORT: 7,
    START: 8, ELEMENT: 9, DATA_COUNT: 10, CODE: 11, DATA: 12,
}

_BLOCK_OPS = frozenset(opcodes.SINGLE_BYTE[code] for code in (0x02, 0x03, 0x04))
_END = opcodes.SINGLE_BYTE[0x0B]

Pos = int

# Implementation limits, the ones wasmparser (so wasmtime) enforces, most of them
# also the JS API's: the spec allows any implementation to impose such limits, and
# matching the reference's keeps our verdict on a module the same as wasmtime's.
MAX_TYPES = 1_000_000
MAX_FUNCS = 1_000_000  # imported and defined
MAX_GLOBALS = 1_000_000  # imported and defined
MAX_TABLES = 100_000  # imported and defined (wasmparser raised it from 100 by wasmtime 51)
MAX_PARAMS = 1000
MAX_RESULTS = 1000
MAX_ELEM_SEGMENTS = 100_000
MAX_DATA_SEGMENTS = 100_000
MAX_BODY_BYTES = 7_654_321


def _check_limit(what: str, n: int, limit: int, pos: int) -> None:
    if n > limit:
        raise DecodeError(f"{n} {what} exceed the implementation limit of {limit}", pos)


def decode_module(data: bytes) -> syntax.Module:
    """Decode a binary module; raises ``DecodeError`` if it is malformed.

    Function bodies are not checked here (see ``decode.body``); everything else is.
    """
    if not isinstance(data, bytes):
        data = bytes(data)
    end = len(data)
    if end < 4:
        raise DecodeError("unexpected end", end)
    if data[:4] != MAGIC:
        raise DecodeError("magic header not detected", 0)
    if end < 8:
        raise DecodeError("unexpected end", end)
    if data[4:8] != VERSION:
        raise DecodeError("unknown binary version", 4)

    m = syntax.Module()
    names_seen = False
    last_rank = 0
    pos = 8
    while pos < end:
        section_id = data[pos]
        if section_id != CUSTOM:
            rank = _ORDER.get(section_id)
            if rank is None:
                raise DecodeError("malformed section id", pos)
            if rank <= last_rank:
                raise DecodeError("unexpected content after last section", pos)
            last_rank = rank
        size, start = read_len(data, pos + 1, end)
        section_end = start + size
        if section_end > end:
            raise DecodeError(UNEXPECTED_END, end)
        if section_id == CUSTOM:
            custom_name, payload_start = read_name(data, start, section_end)
            if custom_name == "name" and not names_seen:
                names = parse_names(data, payload_start, section_end)
                if names is not None:
                    m.names = names
                    names_seen = True
                    pos = section_end
                    continue
            m.customs.append((custom_name, data[payload_start:section_end]))
            pos = section_end
            continue
        pos = _SECTIONS[section_id](m, data, start, end)
        if pos != section_end:
            raise DecodeError("section size mismatch", start)

    if len(m.funcs) != len(m.codes):
        raise DecodeError("function and code section have inconsistent lengths", end)
    if m.data_count is not None and m.data_count != len(m.datas):
        raise DecodeError("data count and data section have inconsistent lengths", end)
    return m


# -- shared pieces -------------------------------------------------------------------


def _limits(data: bytes, pos: int, end: int) -> Tuple[syntax.Limits, Pos]:
    flag, pos = read_u1(data, pos, end)  # a 1-bit LEB128, as the suite expects
    minimum, pos = read_u32(data, pos, end)
    if not flag:
        return syntax.Limits(minimum), pos
    maximum, pos = read_u32(data, pos, end)
    return syntax.Limits(minimum, maximum), pos


def _table_type(data: bytes, pos: int, end: int) -> Tuple[syntax.TableType, Pos]:
    elem, pos = read_reftype(data, pos, end)
    limits, pos = _limits(data, pos, end)
    return syntax.TableType(elem, limits), pos


def _global_type(data: bytes, pos: int, end: int) -> Tuple[syntax.GlobalType, Pos]:
    valtype, pos = read_valtype(data, pos, end)
    mut, after = read_byte(data, pos, end)
    if mut > 1:
        raise DecodeError("malformed mutability", pos)
    return syntax.GlobalType(valtype, bool(mut)), after


def const_expr(data: bytes, pos: int, end: int) -> Tuple[syntax.Expr, Pos]:
    """An instruction sequence up to its matching ``end``, kept encoded."""
    start = pos
    depth = 0
    while True:
        op, _, pos = read_instr(data, pos, end)
        if op is _END:
            if not depth:
                return syntax.Expr(data[start:pos], start), pos
            depth -= 1
        elif op in _BLOCK_OPS:
            depth += 1


def _func_index_exprs(data: bytes, pos: int, end: int) -> Tuple[Tuple[syntax.Expr, ...], Pos]:
    """A vector of function indices, as the equivalent ``ref.func`` expressions."""
    count, pos = read_len(data, pos, end)
    out: List[syntax.Expr] = []
    for _ in range(count):
        start = pos
        index, pos = read_u32(data, pos, end)
        out.append(syntax.Expr(b"\xd2" + uleb(index) + b"\x0b", start))
    return tuple(out), pos


def _exprs(data: bytes, pos: int, end: int) -> Tuple[Tuple[syntax.Expr, ...], Pos]:
    count, pos = read_len(data, pos, end)
    out: List[syntax.Expr] = []
    for _ in range(count):
        expr, pos = const_expr(data, pos, end)
        out.append(expr)
    return tuple(out), pos


# -- sections ------------------------------------------------------------------------
# Each reads its section's contents from ``pos`` and returns where it stopped.


def _type_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    count_pos = pos
    count, pos = read_len(data, pos, end)
    _check_limit("types", count, MAX_TYPES, count_pos)
    for _ in range(count):
        form, after = read_s7(data, pos, end)  # -0x20 is 0x60 as a signed LEB128
        if form != -0x20:
            raise DecodeError("malformed function type", pos)
        pos = after
        sig: List[Tuple[int, ...]] = []
        for what, limit in (("params", MAX_PARAMS), ("results", MAX_RESULTS)):
            n_pos = pos
            n, pos = read_len(data, pos, end)
            _check_limit(what, n, limit, n_pos)
            types = []
            for _ in range(n):
                t, pos = read_valtype(data, pos, end)
                types.append(t)
            sig.append(tuple(types))
        m.types.append(syntax.FuncType(sig[0], sig[1]))
    return pos


def _import_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    count, pos = read_len(data, pos, end)
    for _ in range(count):
        module_name, pos = read_name(data, pos, end)
        field, pos = read_name(data, pos, end)
        kind, after = read_byte(data, pos, end)
        desc: syntax.ImportDesc
        if kind == syntax.EXTERN_FUNC:
            desc, after = read_u32(data, after, end)
        elif kind == syntax.EXTERN_TABLE:
            desc, after = _table_type(data, after, end)
        elif kind == syntax.EXTERN_MEMORY:
            limits, after = _limits(data, after, end)
            desc = syntax.MemoryType(limits)
        elif kind == syntax.EXTERN_GLOBAL:
            desc, after = _global_type(data, after, end)
        else:
            raise DecodeError("malformed import kind", pos)
        pos = after
        m.imports.append(syntax.Import(module_name, field, kind, desc))
    _check_limit("functions", len(m.imports_of(syntax.EXTERN_FUNC)), MAX_FUNCS, pos)
    _check_limit("tables", len(m.imports_of(syntax.EXTERN_TABLE)), MAX_TABLES, pos)
    _check_limit("globals", len(m.imports_of(syntax.EXTERN_GLOBAL)), MAX_GLOBALS, pos)
    return pos


def _function_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    count_pos = pos
    count, pos = read_len(data, pos, end)
    _check_limit("functions", len(m.imports_of(syntax.EXTERN_FUNC)) + count, MAX_FUNCS, count_pos)
    for _ in range(count):
        index, pos = read_u32(data, pos, end)
        m.funcs.append(index)
    return pos


def _table_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    count_pos = pos
    count, pos = read_len(data, pos, end)
    _check_limit("tables", len(m.imports_of(syntax.EXTERN_TABLE)) + count, MAX_TABLES, count_pos)
    for _ in range(count):
        table, pos = _table_type(data, pos, end)
        m.tables.append(table)
    return pos


def _memory_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    count, pos = read_len(data, pos, end)
    for _ in range(count):
        limits, pos = _limits(data, pos, end)
        m.mems.append(syntax.MemoryType(limits))
    return pos


def _global_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    count_pos = pos
    count, pos = read_len(data, pos, end)
    _check_limit("globals", len(m.imports_of(syntax.EXTERN_GLOBAL)) + count, MAX_GLOBALS, count_pos)
    for _ in range(count):
        gtype, pos = _global_type(data, pos, end)
        init, pos = const_expr(data, pos, end)
        m.globals.append(syntax.Global(gtype, init))
    return pos


def _export_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    count, pos = read_len(data, pos, end)
    for _ in range(count):
        export_name, pos = read_name(data, pos, end)
        kind, after = read_byte(data, pos, end)
        if kind > syntax.EXTERN_GLOBAL:
            raise DecodeError("malformed export kind", pos)
        index, pos = read_u32(data, after, end)
        m.exports.append(syntax.Export(export_name, kind, index))
    return pos


def _start_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    m.start, pos = read_u32(data, pos, end)
    return pos


def _element_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    """Segments in any of the eight encodings; flag bit 0: passive or declarative,
    bit 1: explicit table index (active) or declarative, bit 2: expressions."""
    count_pos = pos
    count, pos = read_len(data, pos, end)
    _check_limit("element segments", count, MAX_ELEM_SEGMENTS, count_pos)
    for _ in range(count):
        flags_pos = pos
        flags, pos = read_u32(data, pos, end)
        if flags > 7:
            raise DecodeError("malformed elements segment kind", flags_pos)
        table = 0
        offset = None
        if flags & 1:
            mode = syntax.DECLARATIVE if flags & 2 else syntax.PASSIVE
        else:
            mode = syntax.ACTIVE
            if flags & 2:
                table, pos = read_u32(data, pos, end)
            offset, pos = const_expr(data, pos, end)
        elem_type = syntax.FUNCREF
        if flags & 3:
            if flags & 4:
                elem_type, pos = read_reftype(data, pos, end)
            else:
                kind, after = read_byte(data, pos, end)
                if kind != 0x00:
                    raise DecodeError("malformed element kind", pos)
                pos = after
        if flags & 4:
            init, pos = _exprs(data, pos, end)
        else:
            init, pos = _func_index_exprs(data, pos, end)
        m.elems.append(syntax.Elem(elem_type, init, mode, table, offset))
    return pos


def _data_count_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    count_pos = pos
    m.data_count, pos = read_u32(data, pos, end)
    _check_limit("data segments", m.data_count, MAX_DATA_SEGMENTS, count_pos)
    return pos


def _code_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    count, pos = read_len(data, pos, end)
    for _ in range(count):
        size_pos = pos
        size, pos = read_len(data, pos, end)
        if pos + size > end:
            raise DecodeError(UNEXPECTED_END, end)
        _check_limit("bytes of function body", size, MAX_BODY_BYTES, size_pos)
        m.codes.append(syntax.FuncBody(data, pos, pos + size))
        pos += size
    return pos


def _data_section(m: syntax.Module, data: bytes, pos: int, end: int) -> Pos:
    count_pos = pos
    count, pos = read_len(data, pos, end)
    _check_limit("data segments", count, MAX_DATA_SEGMENTS, count_pos)
    for _ in range(count):
        flags_pos = pos
        flags, pos = read_u32(data, pos, end)
        memory = 0
        offset = None
        if flags == 1:
            mode = syntax.PASSIVE
        elif flags == 0 or flags == 2:
            mode = syntax.ACTIVE
            if flags == 2:
                memory, pos = read_u32(data, pos, end)
            offset, pos = const_expr(data, pos, end)
        else:
            raise DecodeError("malformed data segment kind", flags_pos)
        size, pos = read_len(data, pos, end)
        init, pos = read_bytes(data, pos, end, size)
        m.datas.append(syntax.Data(init, mode, memory, offset))
    return pos


_SECTIONS: Dict[int, Callable[[syntax.Module, bytes, int, int], Pos]] = {
    TYPE: _type_section,
    IMPORT: _import_section,
    FUNCTION: _function_section,
    TABLE: _table_section,
    MEMORY: _memory_section,
    GLOBAL: _global_section,
    EXPORT: _export_section,
    START: _start_section,
    ELEMENT: _element_section,
    DATA_COUNT: _data_count_section,
    CODE: _code_section,
    DATA: _data_section,
}
