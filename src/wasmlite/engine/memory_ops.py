"""Tier-0 handler factories for memory, table, global and reference instructions.

Each factory takes the IR instruction, the index of the next instruction and the
module instance, and returns the handler ``h(regs) -> next`` (see ``interp``). Instances
(memories, tables, globals) are bound when the code is loaded: a memory's
``bytearray`` is grown in place, so binding it is safe. Every bounds check leans on
an unsigned address: ``struct`` and slicing then raise or check past the end, and
nothing ever indexes from the end of a buffer.
"""

from __future__ import annotations

import struct
import sys
from types import FunctionType
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..errors import Trap
from ..ir import Instr
from ..numeric import I64_SIGNED, f32_from_bits, f32_to_bits
from ..runtime.objects import ModuleInstance

Handler = Callable[[list], Any]
Next = Union[int, Handler]
"""A handler's successor: an instruction index until ``interp._link`` resolves it
(or the next handler itself, for the straight-line ops of a run made last to first)."""
Factory = Callable[[Instr, Next, ModuleInstance], Handler]

OOB_MEMORY = "out of bounds memory access"
OOB_TABLE = "out of bounds table access"
_M32 = 0xFFFFFFFF
_I64, _SIGNED_I64 = ("<q", "v") if I64_SIGNED else ("<Q", "v & 0xFFFFFFFFFFFFFFFF")
"""The i64 struct format, and what turns a signed narrow load ``v`` into an i64."""

# name: (struct format, expression turning the unpacked ``v`` into the value).
# ``v128.load64_zero`` is the 8-byte load the SIMD loads are lowered to (``translate``).
LOADS = {
    "i32.load": ("<I", "v"), "i64.load": (_I64, "v"),
    "f32.load": ("<I", "f32_from_bits(v)"), "f64.load": ("<d", "v"),
    "i32.load8_s": ("<b", "v & 0xFFFFFFFF"), "i32.load8_u": ("<B", "v"),
    "i32.load16_s": ("<h", "v & 0xFFFFFFFF"), "i32.load16_u": ("<H", "v"),
    "i64.load8_s": ("<b", _SIGNED_I64), "i64.load8_u": ("<B", "v"),
    "i64.load16_s": ("<h", _SIGNED_I64), "i64.load16_u": ("<H", "v"),
    "i64.load32_s": ("<i", _SIGNED_I64), "i64.load32_u": ("<I", "v"),
    "v128.load": ("<16s", "int.from_bytes(v, 'little')"), "v128.load64_zero": ("<Q", "v"),
}  # fmt: skip

# name: (struct format, expression computing what to pack from the value ``v``)
STORES = {
    "i32.store": ("<I", "v"), "i64.store": (_I64, "v"),
    "f32.store": ("<I", "f32_to_bits(v)"), "f64.store": ("<d", "v"),
    "i32.store8": ("<B", "v & 0xFF"), "i32.store16": ("<H", "v & 0xFFFF"),
    "i64.store8": ("<B", "v & 0xFF"), "i64.store16": ("<H", "v & 0xFFFF"),
    "i64.store32": ("<I", "v & 0xFFFFFFFF"),
    "v128.store": ("<16s", "v.to_bytes(16, 'little')"),
}  # fmt: skip

# Byte loads and stores index the bytearray itself (IndexError past the end), about
# three times cheaper than struct: name -> expression of the byte ``{0}``.
BYTE_LOADS = {
    "i32.load8_u": "{0}", "i64.load8_u": "{0}",
    "i32.load8_s": "((({0} ^ 0x80) - 0x80) & 0xFFFFFFFF)",
    "i64.load8_s": "(({0} ^ 0x80) - 0x80)" if I64_SIGNED else "((({0} ^ 0x80) - 0x80) & 0xFFFFFFFFFFFFFFFF)",
}  # fmt: skip
BYTE_STORES = frozenset(("i32.store8", "i64.store8"))

# Accesses tier 1 makes through a memoryview of the memory (``MemoryInstance.view``)
# when the address is aligned: indexing a view is cheaper than calling struct. The
# view's items are the struct format's, native: the machine's byte order must be
# wasm's. (PyPy's JIT makes struct as cheap; a view would only be more to keep.)
VIEW_ACCESSES = {
    name: fmt[1:] for name, (fmt, _) in {**LOADS, **STORES}.items() if fmt[1:] in ("h", "H", "i", "I", "q", "Q", "d")
} if sys.byteorder == "little" and sys.implementation.name == "cpython" else {}  # fmt: skip
"""Load or store -> the format of the view it may use."""

UNPACK = {name: struct.Struct(fmt).unpack_from for name, (fmt, _) in LOADS.items()}
PACK = {name: struct.Struct(fmt).pack_into for name, (fmt, _) in STORES.items()}

ACCESSES = frozenset(LOADS) | frozenset(STORES)
"""The loads and stores: each is one statement, which a run of straight-line code
in ``interp`` can take in too."""

ACCESS_GLOBALS: Dict[str, Any] = {
    "Trap": Trap, "OOB": OOB_MEMORY, "error": struct.error,
    "f32_from_bits": f32_from_bits, "f32_to_bits": f32_to_bits,
}  # fmt: skip
"""The names the statements of ``access_statement`` use."""


def access_statement(name: str, tag: str, operands: Sequence[Optional[str]] = (None, None),
                     dest: str = "", guarded: bool = True) -> Tuple[List[str], str]:
    """The factory parameters and the handler lines (names suffixed with ``tag``) of
    load or store ``name``; ``access_args`` gives the parameters' values. The struct
    function is a parameter too: a closure variable is cheaper to reach than a global.
    An expression in ``operands`` (address, stored value) replaces reading that
    register, and ``dest`` the loaded value's register (their parameters go unused).
    Unless ``guarded``, the lines do not turn an out-of-bounds access into its trap:
    the caller wraps them, with its neighbours, in ``ACCESS_GUARD``."""
    addr = operands[0] or f"regs[a{tag}]"
    dest = dest or f"regs[d{tag}]"
    before, after = "", ""
    if name in BYTE_LOADS:
        params = [f"d{tag}", f"a{tag}", f"off{tag}", f"data{tag}", f"f{tag}"]
        access, exc = f"v = data{tag}[{addr} + off{tag}]", "IndexError"
        after = f"{dest} = {BYTE_LOADS[name].format('v')}"
    elif name in LOADS:
        params = [f"d{tag}", f"a{tag}", f"off{tag}", f"data{tag}", f"f{tag}"]
        access, exc = f"v = f{tag}(data{tag}, {addr} + off{tag})[0]", "error"
        after = f"{dest} = {LOADS[name][1]}"
    else:
        params = [f"a{tag}", f"b{tag}", f"off{tag}", f"data{tag}", f"f{tag}"]
        value = operands[1] or f"regs[b{tag}]"
        if name in BYTE_STORES:
            access, exc = f"data{tag}[{addr} + off{tag}] = {value} & 0xFF", "IndexError"
        else:
            before = f"v = {value}"
            access, exc = f"f{tag}(data{tag}, {addr} + off{tag}, {STORES[name][1]})", "error"
    if guarded:
        lines = f"        try:\n            {access}\n        except {exc}:\n            raise Trap(OOB) from None\n"
    else:
        lines = f"        {access}\n"
    return params, "".join(f"        {x}\n" for x in (before,) if x) + lines + (f"        {after}\n" if after else "")


ACCESS_GUARD = ("        try:\n", "        except (IndexError, error):\n            raise Trap(OOB) from None\n")
"""What unguarded ``access_statement`` lines (indented one level more) go between: a
run of several accesses pays for one ``try`` block in its source, not one each."""


def handler_factory(params: Sequence[str], body: str, ns: Dict[str, Any], filename: str) -> Callable[..., Handler]:
    """A factory of handlers ``h(regs, *params)`` running ``body`` (indented 8 spaces),
    each made with its ``params``' values as default arguments: the code is compiled
    once, and a handler is a function object and its defaults tuple. Closures were
    a cell per name more, objects for the garbage collector to walk (QuickJS's first
    eval kept ~90k alive); ``interp._link`` patches the branch targets in the
    defaults."""
    made: Dict[str, Any] = {}
    exec(compile(f"def h(regs, {', '.join(params)}):\n{body}", filename, "exec"), ns, made)
    code = made["h"].__code__
    return lambda *values: FunctionType(code, ns, "h", values)


def access_args(ins: Instr, inst: ModuleInstance) -> List[Any]:
    """The values of ``access_statement``'s parameters for ``ins``."""
    name = ins.op
    if name in LOADS:
        return [ins.dst, ins.a[0], ins.imm[1], inst.mems[0].data, UNPACK[name]]
    return [ins.a[0], ins.a[1], ins.imm[1], inst.mems[0].data, PACK[name]]


def _access(name: str) -> Factory:
    """The factory of ``name``'s handlers; their maker is compiled on first use (25
    of them at import cost ~1.5 ms, and a module uses a few)."""
    makers: List[Callable[..., Handler]] = []

    def factory(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
        if not makers:
            params, lines = access_statement(name, "")
            makers.append(handler_factory([*params, "nxt"], lines + "        return nxt\n", dict(ACCESS_GLOBALS),
                                          "<wasmlite.engine.memory_ops>"))
        return makers[0](*access_args(ins, inst), nxt)

    return factory


def _memory_size(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    d, data = ins.dst, inst.mems[ins.imm].data

    def h(regs: list, d: Any = d, data: Any = data, nxt: Any = nxt) -> Any:
        regs[d] = len(data) >> 16
        return nxt

    return h


def _memory_grow(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    d, a, grow = ins.dst, ins.a[0], inst.mems[ins.imm].grow

    def h(regs: list, a: Any = a, d: Any = d, grow: Any = grow, nxt: Any = nxt) -> Any:
        regs[d] = grow(regs[a]) & _M32
        return nxt

    return h


def _memory_fill(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    a, b, c = ins.a
    data = inst.mems[ins.imm].data

    def h(regs: list, a: Any = a, b: Any = b, c: Any = c, data: Any = data, nxt: Any = nxt) -> Any:
        start, n = regs[a], regs[c]
        if start + n > len(data):
            raise Trap(OOB_MEMORY)
        data[start:start + n] = bytes((regs[b] & 0xFF,)) * n
        return nxt

    return h


def _memory_copy(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    a, b, c = ins.a
    dst, src = inst.mems[ins.imm[0]].data, inst.mems[ins.imm[1]].data

    def h(regs: list, a: Any = a, b: Any = b, c: Any = c, dst: Any = dst, src: Any = src,
          nxt: Any = nxt) -> Any:
        d, s, n = regs[a], regs[b], regs[c]
        if d + n > len(dst) or s + n > len(src):
            raise Trap(OOB_MEMORY)
        dst[d:d + n] = src[s:s + n]
        return nxt

    return h


def _memory_init(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    a, b, c = ins.a
    seg_index, mem = ins.imm
    data, datas = inst.mems[mem].data, inst.datas

    def h(regs: list, a: Any = a, b: Any = b, c: Any = c, data: Any = data, datas: Any = datas,
          seg_index: Any = seg_index, nxt: Any = nxt) -> Any:
        d, s, n = regs[a], regs[b], regs[c]
        seg = datas[seg_index]
        if d + n > len(data) or s + n > len(seg):
            raise Trap(OOB_MEMORY)
        data[d:d + n] = seg[s:s + n]
        return nxt

    return h


def _data_drop(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    index, datas = ins.imm, inst.datas

    def h(regs: list, datas: Any = datas, index: Any = index, nxt: Any = nxt) -> Any:
        datas[index] = b""
        return nxt

    return h


def _global_get(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    d, g = ins.dst, inst.globals[ins.imm]

    def h(regs: list, d: Any = d, g: Any = g, nxt: Any = nxt) -> Any:
        regs[d] = g.value
        return nxt

    return h


def _global_set(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    a, g = ins.a[0], inst.globals[ins.imm]

    def h(regs: list, a: Any = a, g: Any = g, nxt: Any = nxt) -> Any:
        g.value = regs[a]
        return nxt

    return h


def _table_get(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    d, a, table = ins.dst, ins.a[0], inst.tables[ins.imm]

    def h(regs: list, a: Any = a, d: Any = d, table: Any = table, nxt: Any = nxt) -> Any:
        i = regs[a]
        elements = table.elements
        if i >= len(elements):
            raise Trap(OOB_TABLE)
        regs[d] = elements[i]
        return nxt

    return h


def _table_set(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    a, b = ins.a
    table = inst.tables[ins.imm]

    def h(regs: list, a: Any = a, b: Any = b, table: Any = table, nxt: Any = nxt) -> Any:
        i = regs[a]
        elements = table.elements
        if i >= len(elements):
            raise Trap(OOB_TABLE)
        elements[i] = regs[b]
        return nxt

    return h


def _table_size(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    d, table = ins.dst, inst.tables[ins.imm]

    def h(regs: list, d: Any = d, table: Any = table, nxt: Any = nxt) -> Any:
        regs[d] = len(table.elements)
        return nxt

    return h


def _table_grow(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    d, (a, b), table = ins.dst, ins.a, inst.tables[ins.imm]

    def h(regs: list, a: Any = a, b: Any = b, d: Any = d, table: Any = table, nxt: Any = nxt) -> Any:
        try:
            regs[d] = table.grow(regs[b], regs[a]) & _M32
        except MemoryError:  # a table without a maximum may still not fit: growth fails
            regs[d] = _M32
        return nxt

    return h


def _table_fill(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    a, b, c = ins.a
    table = inst.tables[ins.imm]

    def h(regs: list, a: Any = a, b: Any = b, c: Any = c, table: Any = table, nxt: Any = nxt) -> Any:
        i, n = regs[a], regs[c]
        elements = table.elements
        if i + n > len(elements):
            raise Trap(OOB_TABLE)
        elements[i:i + n] = [regs[b]] * n
        return nxt

    return h


def _table_copy(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    a, b, c = ins.a
    dst, src = inst.tables[ins.imm[0]], inst.tables[ins.imm[1]]

    def h(regs: list, a: Any = a, b: Any = b, c: Any = c, dst: Any = dst, src: Any = src,
          nxt: Any = nxt) -> Any:
        d, s, n = regs[a], regs[b], regs[c]
        de, se = dst.elements, src.elements
        if d + n > len(de) or s + n > len(se):
            raise Trap(OOB_TABLE)
        de[d:d + n] = se[s:s + n]
        return nxt

    return h


def _table_init(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    a, b, c = ins.a
    seg_index, table_index = ins.imm
    table, elems = inst.tables[table_index], inst.elems

    def h(regs: list, a: Any = a, b: Any = b, c: Any = c, elems: Any = elems, seg_index: Any = seg_index,
          table: Any = table, nxt: Any = nxt) -> Any:
        d, s, n = regs[a], regs[b], regs[c]
        seg = elems[seg_index]
        elements = table.elements
        if d + n > len(elements) or s + n > len(seg):
            raise Trap(OOB_TABLE)
        elements[d:d + n] = seg[s:s + n]
        return nxt

    return h


def _elem_drop(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    index, elems = ins.imm, inst.elems

    def h(regs: list, elems: Any = elems, index: Any = index, nxt: Any = nxt) -> Any:
        elems[index] = []
        return nxt

    return h


def _ref_is_null(ins: Instr, nxt: Next, inst: ModuleInstance) -> Handler:
    d, a = ins.dst, ins.a[0]

    def h(regs: list, a: Any = a, d: Any = d, nxt: Any = nxt) -> Any:
        regs[d] = 1 if regs[a] is None else 0
        return nxt

    return h


FACTORIES: Dict[str, Factory] = {name: _access(name) for name in ACCESSES}
FACTORIES.update({
    "memory.size": _memory_size, "memory.grow": _memory_grow, "memory.fill": _memory_fill,
    "memory.copy": _memory_copy, "memory.init": _memory_init, "data.drop": _data_drop,
    "global.get": _global_get, "global.set": _global_set, "table.get": _table_get,
    "table.set": _table_set, "table.size": _table_size, "table.grow": _table_grow,
    "table.fill": _table_fill, "table.copy": _table_copy, "table.init": _table_init,
    "elem.drop": _elem_drop, "ref.is_null": _ref_is_null,
})  # fmt: skip
"""IR op name -> handler factory, for the instructions of this module."""
