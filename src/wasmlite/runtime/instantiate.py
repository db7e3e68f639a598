"""Instantiation of a validated module (WebAssembly 2.0, section 4.5.4).

The engine is passed in as ``call(func, args) -> list`` rather than imported, so
that this module (which the engine's run-time objects live next to) does not
depend on the engine; it is only needed for the start function.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional

from .. import syntax
from ..decode.body import read_instr
from ..errors import LinkError, Trap, ValidationError
from ..numeric import f32_from_bits, f64_from_bits, i64_of
from .objects import (
    MAX_TABLE_ELEMENTS,
    Function,
    GlobalInstance,
    MemoryInstance,
    ModuleInstance,
    TableInstance,
    WasmFunction,
)

Call = Callable[[Function, List[Any]], List[Any]]



def instantiate(module: syntax.Module, imports: List[Any], call: Call, metered: bool = False,
                allocated: Optional[Callable[[ModuleInstance], None]] = None) -> ModuleInstance:
    """Link ``module`` against ``imports`` (aligned with ``module.imports``), allocate it,
    initialise its segments and run its start function.

    ``metered`` goes to ``ModuleInstance``; ``allocated(instance)``, if given, runs
    once everything is allocated and exported, before segments and the start
    function (the embedder binds the instance to its host functions there).

    Raises ``LinkError`` when an import does not match, a table is over
    ``MAX_TABLE_ELEMENTS`` or the host is out of memory for the module's own tables
    and memories, and ``Trap`` when a segment
    is out of bounds or the start function traps; segments applied before a failing
    one keep their effect on imported tables and memories, as 2.0 specifies.
    """
    if len(imports) != len(module.imports):
        raise LinkError(f"expected {len(module.imports)} imports, got {len(imports)}")
    for t in module.tables:  # before anything is allocated: a guest's table is a Python list
        if t.limits.min > MAX_TABLE_ELEMENTS:
            raise LinkError(f"table of {t.limits.min} elements exceeds the implementation "
                            f"limit of {MAX_TABLE_ELEMENTS}")
    inst = ModuleInstance(module, metered)
    for imp, ext in zip(module.imports, imports):
        _check_import(module, imp, ext)
        (inst.funcs, inst.tables, inst.mems, inst.globals)[imp.kind].append(ext)

    first = len(inst.funcs)
    for i, (type_index, body) in enumerate(zip(module.funcs, module.codes)):
        inst.funcs.append(WasmFunction(module.types[type_index], inst, first + i, body))
    for g in module.globals:
        inst.globals.append(GlobalInstance(g.type, eval_const(g.init, inst)))
    try:
        inst.tables.extend(TableInstance(t) for t in module.tables)
        inst.mems.extend(MemoryInstance(m) for m in module.mems)
    except MemoryError:  # the host cannot give what the module declares
        raise LinkError("not enough host memory for the module's tables and memories") from None
    inst.elems = [[eval_const(e, inst) for e in seg.init] for seg in module.elems]
    inst.datas = [data.init for data in module.datas]
    spaces = (inst.funcs, inst.tables, inst.mems, inst.globals)
    inst.exports = {e.name: spaces[e.kind][e.index] for e in module.exports}
    if allocated is not None:
        allocated(inst)

    for i, seg in enumerate(module.elems):
        if seg.mode == syntax.ACTIVE:
            _init_table(inst.tables[seg.table], _offset(seg.offset, inst), inst.elems[i])
        if seg.mode != syntax.PASSIVE:
            inst.elems[i] = []
    for i, data in enumerate(module.datas):
        if data.mode == syntax.ACTIVE:
            _init_memory(inst.mems[data.memory], _offset(data.offset, inst), data.init)
            inst.datas[i] = b""

    if module.start is not None:
        call(inst.funcs[module.start], [])
    return inst


def eval_const(expr: syntax.Expr, inst: ModuleInstance) -> Any:
    """The value of a constant expression, in the run-time representation."""
    code = expr.code
    pos, end = 0, len(code)
    value: Any = None
    while pos < end:
        op, imm, pos = read_instr(code, pos, end)
        name = op.name
        if name == "end":
            return value
        if name == "i32.const":
            value = imm & 0xFFFFFFFF
        elif name == "i64.const":
            value = i64_of(imm)
        elif name == "f32.const":
            value = f32_from_bits(imm)
        elif name == "f64.const":
            value = f64_from_bits(imm)
        elif name == "v128.const":
            value = imm
        elif name == "ref.null":
            value = None
        elif name == "ref.func":
            value = inst.funcs[imm]
        elif name == "global.get":
            value = inst.globals[imm].value
        else:
            raise ValidationError(f"constant expression required, found {name}")
    raise ValidationError("constant expression required, found no end")


def _offset(expr: Optional[syntax.Expr], inst: ModuleInstance) -> int:
    assert expr is not None  # active segments always have one
    return eval_const(expr, inst)


def _init_table(table: TableInstance, offset: int, refs: List[Any]) -> None:
    if offset + len(refs) > len(table.elements):
        raise Trap("out of bounds table access")
    table.elements[offset : offset + len(refs)] = refs


def _init_memory(mem: MemoryInstance, offset: int, data: bytes) -> None:
    if offset + len(data) > len(mem.data):
        raise Trap("out of bounds memory access")
    mem.data[offset : offset + len(data)] = data


def _limits_match(size: int, max: Optional[int], required: syntax.Limits) -> bool:
    """Limits subtyping: the actual ``(size, max)`` fits within ``required``."""
    if size < required.min:
        return False
    return required.max is None or (max is not None and max <= required.max)


def _check_import(module: syntax.Module, imp: syntax.Import, ext: Any) -> None:
    """Raise LinkError unless ``ext``'s current external type matches ``imp``'s."""
    desc = imp.desc
    if imp.kind == syntax.EXTERN_FUNC:
        ok = isinstance(ext, Function) and ext.type == module.types[desc]  # type: ignore[index]
    elif imp.kind == syntax.EXTERN_TABLE:
        ok = (
            isinstance(ext, TableInstance)
            and ext.type.elem == desc.elem  # type: ignore[union-attr]
            and _limits_match(len(ext.elements), ext.type.limits.max, desc.limits)  # type: ignore[union-attr]
        )
    elif imp.kind == syntax.EXTERN_MEMORY:
        ok = isinstance(ext, MemoryInstance) and _limits_match(
            ext.pages, ext.type.limits.max, desc.limits  # type: ignore[union-attr]
        )
    else:
        ok = isinstance(ext, GlobalInstance) and ext.type == desc
    if not ok:
        raise LinkError(f"incompatible import type for {imp.module!r} {imp.name!r}")
