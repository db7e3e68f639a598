"""The binary encoder: ``syntax.Module`` -> bytes, and single instructions -> bytes.

The text parser uses it to produce binaries (``wat2wasm``), and the round-trip tests
use it to check that decoding what it wrote gives back the same module. Immediates
are written as ``opcodes`` describes them, so this file and ``decode.body`` are
mirror images.
"""

from __future__ import annotations

import struct
from typing import Any, Iterable, List, Optional

from . import syntax
from .opcodes import Op


def uleb(value: int) -> bytes:
    """Unsigned LEB128."""
    if value < 0:
        raise ValueError("uleb of a negative number")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value: int) -> bytes:
    """Signed LEB128."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def name(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    return uleb(len(data)) + data


def vec(items: Iterable[bytes]) -> bytes:
    items = list(items)
    return uleb(len(items)) + b"".join(items)


def limits(lim: syntax.Limits) -> bytes:
    if lim.max is None:
        return b"\x00" + uleb(lim.min)
    return b"\x01" + uleb(lim.min) + uleb(lim.max)


def table_type(t: syntax.TableType) -> bytes:
    return bytes([t.elem]) + limits(t.limits)


def global_type(t: syntax.GlobalType) -> bytes:
    return bytes([t.valtype, 1 if t.mutable else 0])


def func_type(t: syntax.FuncType) -> bytes:
    return b"\x60" + vec(bytes([p]) for p in t.params) + vec(bytes([r]) for r in t.results)


def instr(op: Op, imm: Any = None) -> bytes:
    """Encode one instruction with its immediate, in the form ``decode.body`` reads."""
    if op.prefix is None:
        head = bytes([op.code])
    else:
        head = bytes([op.prefix]) + uleb(op.code)
    kind = op.imm
    if not kind:
        return head
    if kind in ("label", "func", "local", "global", "table", "elem", "data"):
        return head + uleb(imm)
    if kind == "blocktype":
        return head + sleb(imm)
    if kind == "i32" or kind == "i64":
        return head + sleb(imm)
    if kind == "f32":
        return head + struct.pack("<I", imm)
    if kind == "f64":
        return head + struct.pack("<Q", imm)
    if kind == "memarg":
        return head + uleb(imm[0]) + uleb(imm[1])
    if kind == "memarg_lane":
        return head + uleb(imm[0]) + uleb(imm[1]) + bytes([imm[2]])
    if kind == "memory":
        return head + uleb(imm)
    if kind == "br_table":
        labels, default = imm
        return head + vec(uleb(label) for label in labels) + uleb(default)
    if kind == "call_indirect":
        return head + uleb(imm[0]) + uleb(imm[1])
    if kind == "v128":
        return head + imm.to_bytes(16, "little")
    if kind == "lane":
        return head + bytes([imm])
    if kind == "shuffle":
        return head + bytes(imm)
    if kind == "select_types":
        return head + vec(bytes([t]) for t in imm)
    if kind == "reftype":
        return head + bytes([imm])
    if kind in ("table_init", "table_copy", "memory_init", "memory_copy"):
        return head + uleb(imm[0]) + uleb(imm[1])
    raise ValueError(f"unknown immediate kind {kind!r}")


def func_body(locals_: List[int], code: bytes) -> bytes:
    """A code-section entry's contents (without its size): run-length locals, then code."""
    runs: List[List[int]] = []
    for t in locals_:
        if runs and runs[-1][1] == t:
            runs[-1][0] += 1
        else:
            runs.append([1, t])
    return vec(uleb(n) + bytes([t]) for n, t in runs) + code


def _section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + uleb(len(payload)) + payload


def _import_desc(imp: syntax.Import) -> bytes:
    if imp.kind == syntax.EXTERN_FUNC:
        return b"\x00" + uleb(imp.desc)  # type: ignore[arg-type]
    if imp.kind == syntax.EXTERN_TABLE:
        return b"\x01" + table_type(imp.desc)  # type: ignore[arg-type]
    if imp.kind == syntax.EXTERN_MEMORY:
        return b"\x02" + limits(imp.desc.limits)  # type: ignore[union-attr]
    return b"\x03" + global_type(imp.desc)  # type: ignore[arg-type]


def _elem(seg: syntax.Elem) -> bytes:
    # Always the expression encodings (flags 4..7): they carry any segment.
    exprs = vec(e.code for e in seg.init)
    if seg.mode == syntax.ACTIVE:
        assert seg.offset is not None
        if seg.table == 0 and seg.type == syntax.FUNCREF:
            return b"\x04" + seg.offset.code + exprs
        return b"\x06" + uleb(seg.table) + seg.offset.code + bytes([seg.type]) + exprs
    flag = b"\x05" if seg.mode == syntax.PASSIVE else b"\x07"
    return flag + bytes([seg.type]) + exprs


def _data(seg: syntax.Data) -> bytes:
    payload = uleb(len(seg.init)) + seg.init
    if seg.mode == syntax.PASSIVE:
        return b"\x01" + payload
    assert seg.offset is not None
    if seg.memory == 0:
        return b"\x00" + seg.offset.code + payload
    return b"\x02" + uleb(seg.memory) + seg.offset.code + payload


def _names(names: syntax.Names) -> Optional[bytes]:
    parts = []
    if names.module is not None:
        parts.append(_section(0, name(names.module)))
    if names.funcs:
        parts.append(_section(1, vec(uleb(i) + name(n) for i, n in sorted(names.funcs.items()))))
    if names.locals:
        parts.append(
            _section(
                2,
                vec(
                    uleb(f) + vec(uleb(i) + name(n) for i, n in sorted(local_names.items()))
                    for f, local_names in sorted(names.locals.items())
                ),
            )
        )
    if not parts:
        return None
    return name("name") + b"".join(parts)


def module(m: syntax.Module) -> bytes:
    """Encode a whole module. Empty sections are left out."""
    out = [b"\x00asm\x01\x00\x00\x00"]
    if m.types:
        out.append(_section(1, vec(func_type(t) for t in m.types)))
    if m.imports:
        out.append(_section(2, vec(name(i.module) + name(i.name) + _import_desc(i) for i in m.imports)))
    if m.funcs:
        out.append(_section(3, vec(uleb(t) for t in m.funcs)))
    if m.tables:
        out.append(_section(4, vec(table_type(t) for t in m.tables)))
    if m.mems:
        out.append(_section(5, vec(limits(t.limits) for t in m.mems)))
    if m.globals:
        out.append(_section(6, vec(global_type(g.type) + g.init.code for g in m.globals)))
    if m.exports:
        out.append(_section(7, vec(name(e.name) + bytes([e.kind]) + uleb(e.index) for e in m.exports)))
    if m.start is not None:
        out.append(_section(8, uleb(m.start)))
    if m.elems:
        out.append(_section(9, vec(_elem(e) for e in m.elems)))
    if m.data_count is not None:
        out.append(_section(12, uleb(m.data_count)))
    if m.codes:
        bodies = [c.body_bytes() for c in m.codes]
        out.append(_section(10, vec(uleb(len(b)) + b for b in bodies)))
    if m.datas:
        out.append(_section(11, vec(_data(d) for d in m.datas)))
    names = _names(m.names)
    if names is not None:
        out.append(_section(0, names))
    for custom_name, payload in m.customs:
        out.append(_section(0, name(custom_name) + payload))
    return b"".join(out)
