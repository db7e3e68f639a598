"""Module-level validation: everything but the instructions of function bodies.

Checks run in the order of the sections (imports, functions, tables, memories,
globals, segments, start, exports), then every body is walked: an invalid
function makes the module invalid even if it is never called.
"""

from __future__ import annotations

from typing import List, Set

from .. import syntax
from ..errors import DecodeError, ValidationError
from ..syntax import EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE, I32, Limits
from .code import FuncValidator, check_body_wellformed, check_const_expr

MAX_PAGES = 65536
MAX_TABLE_SIZE = 0xFFFF_FFFF


def _check_limits(limits: Limits, bound: int, message: str) -> None:
    if limits.min > bound or (limits.max is not None and limits.max > bound):
        raise ValidationError(message)
    if limits.max is not None and limits.min > limits.max:
        raise ValidationError("size minimum must not be greater than maximum")


def _check_table(t: syntax.TableType) -> None:
    _check_limits(t.limits, MAX_TABLE_SIZE, "table size must be at most 2^32-1")


def _check_memory(t: syntax.MemoryType) -> None:
    _check_limits(t.limits, MAX_PAGES, "memory size must be at most 65536 pages (4GiB)")


def _check_type_index(index: int, types: List[syntax.FuncType]) -> None:
    if index >= len(types):
        raise ValidationError(f"unknown type {index}")


def _check_header(module: syntax.Module) -> None:
    """Imports, functions, tables and memories: the index spaces' types."""
    for imp in module.imports:
        if imp.kind == EXTERN_FUNC:
            _check_type_index(imp.desc, module.types)  # type: ignore[arg-type]
        elif imp.kind == EXTERN_TABLE:
            _check_table(imp.desc)  # type: ignore[arg-type]
        elif imp.kind == EXTERN_MEMORY:
            _check_memory(imp.desc)  # type: ignore[arg-type]
    for index in module.funcs:
        _check_type_index(index, module.types)
    for table in module.tables:
        _check_table(table)
    for mem in module.mems:
        _check_memory(mem)
    if len(module.imports_of(EXTERN_MEMORY)) + len(module.mems) > 1:
        raise ValidationError("multiple memories are not allowed in WebAssembly 2.0")


def _check_segments(module: syntax.Module, nfuncs: int) -> None:
    """Globals, element and data segments: their constant expressions may read
    imported globals only."""
    imported = [imp.desc for imp in module.imports_of(EXTERN_GLOBAL)]
    for g in module.globals:
        check_const_expr(g.init, g.type.valtype, imported, nfuncs)  # type: ignore[arg-type]
    ntables = len(module.imports_of(EXTERN_TABLE)) + len(module.tables)
    table_types = [imp.desc.elem for imp in module.imports_of(EXTERN_TABLE)]  # type: ignore[union-attr]
    table_types.extend(t.elem for t in module.tables)
    for seg in module.elems:
        for expr in seg.init:
            check_const_expr(expr, seg.type, imported, nfuncs)  # type: ignore[arg-type]
        if seg.mode == syntax.ACTIVE:
            if seg.table >= ntables:
                raise ValidationError(f"unknown table {seg.table}")
            if table_types[seg.table] != seg.type:
                raise ValidationError(
                    f"type mismatch: {syntax.valtype_name(seg.type)} segment for a "
                    f"{syntax.valtype_name(table_types[seg.table])} table"
                )
            check_const_expr(seg.offset, I32, imported, nfuncs)  # type: ignore[arg-type]
    nmems = len(module.imports_of(EXTERN_MEMORY)) + len(module.mems)
    for data in module.datas:
        if data.mode == syntax.ACTIVE:
            if data.memory >= nmems:
                raise ValidationError(f"unknown memory {data.memory}")
            check_const_expr(data.offset, I32, imported, nfuncs)  # type: ignore[arg-type]


def _check_start_and_exports(module: syntax.Module) -> None:
    func_types = module.func_types()
    if module.start is not None:
        if module.start >= len(func_types):
            raise ValidationError(f"unknown function {module.start}")
        ft = module.types[func_types[module.start]]
        if ft.params or ft.results:
            raise ValidationError(f"start function must have type [] -> [], not {ft}")
    sizes = {
        EXTERN_FUNC: len(func_types),
        EXTERN_TABLE: len(module.imports_of(EXTERN_TABLE)) + len(module.tables),
        EXTERN_MEMORY: len(module.imports_of(EXTERN_MEMORY)) + len(module.mems),
        EXTERN_GLOBAL: len(module.imports_of(EXTERN_GLOBAL)) + len(module.globals),
    }
    names: Set[str] = set()
    for export in module.exports:
        if export.index >= sizes[export.kind]:
            kind = "function" if export.kind == EXTERN_FUNC else syntax.EXTERN_KIND_NAMES[export.kind]
            raise ValidationError(f"unknown {kind} {export.index}")
        if export.name in names:
            raise ValidationError(f"duplicate export name {export.name!r}")
        names.add(export.name)


def _validate(module: syntax.Module) -> None:
    _check_header(module)
    func_types = module.func_types()
    _check_segments(module, len(func_types))
    _check_start_and_exports(module)
    validator = FuncValidator(module)
    first = len(func_types) - len(module.funcs)
    for i, (type_index, body) in enumerate(zip(module.funcs, module.codes)):
        validator.validate_function(first + i, module.types[type_index], body)


def validate_module(module: syntax.Module) -> None:
    """Raise ValidationError for the first rule ``module`` breaks (DecodeError if
    a body turns out to be malformed: that takes precedence); return None if valid."""
    try:
        _validate(module)
    except ValidationError:
        has_data_count = module.data_count is not None
        for body in module.codes:
            try:
                check_body_wellformed(body, has_data_count)
            except DecodeError as malformed:
                raise malformed from None
        raise
    module.validated = True
