"""The validator: module rules and the streaming body checker.

Modules are built as ``syntax.Module``s, encoded with ``wasmlite.encode`` and
decoded again, so bodies carry real byte offsets.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

import pytest

from wasmlite import encode, syntax
from wasmlite.decode import decode_module, read_instr, read_locals
from wasmlite.errors import DecodeError, ValidationError
from wasmlite.opcodes import BY_NAME, SELECT_TYPED
from wasmlite.syntax import EXTERNREF, F32, F64, FUNCREF, I32, I64, V128, FuncType
from wasmlite.validate import FuncValidator, validate_module

Instr = Union[str, Tuple[str, Any]]


def code(instrs: Iterable[Instr]) -> bytes:
    """Encode instructions given as names or (name, immediate) pairs."""
    out = []
    for ins in instrs:
        name, imm = (ins, None) if isinstance(ins, str) else ins
        op = SELECT_TYPED if name == "select_t" else BY_NAME[name]
        out.append(encode.instr(op, imm))
    return b"".join(out)


def expr(*instrs: Instr) -> syntax.Expr:
    return syntax.Expr(code(list(instrs) + ["end"]))


def body(instrs: Iterable[Instr], locals_: Sequence[int] = (), end: bool = True) -> syntax.FuncBody:
    raw = encode.func_body(list(locals_), code(instrs) + (b"\x0b" if end else b""))
    return syntax.FuncBody(raw, 0, len(raw))


def build(
    instrs: Iterable[Instr] = (),
    params: Sequence[int] = (),
    results: Sequence[int] = (),
    locals_: Sequence[int] = (),
    end: bool = True,
    **fields: Any,
) -> syntax.Module:
    """A module whose last function has the given body, round-tripped through bytes."""
    m = syntax.Module()
    m.types.append(FuncType(tuple(params), tuple(results)))
    m.funcs.append(0)
    m.codes.append(body(instrs, locals_, end))
    for name, value in fields.items():
        setattr(m, name, value)
    return decode_module(encode.module(m))


def invalid(module: syntax.Module, message: str) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        validate_module(module)
    assert info.value.message.startswith(message), info.value.message
    return info.value


def malformed(module: syntax.Module, message: str) -> DecodeError:
    with pytest.raises(DecodeError) as info:
        validate_module(module)
    assert info.value.message.startswith(message), info.value.message
    return info.value


def decoded_offsets(module: syntax.Module, func: int) -> List[Tuple[str, int]]:
    """Instruction offsets of a body that may be invalid, read with the decoder."""
    b = module.codes[func]
    _, pos = read_locals(b)
    out = []
    while pos < b.end:
        op, _, nxt = read_instr(b.source, pos, b.end)
        out.append((op.name, pos))
        pos = nxt
    return out


MEM = [syntax.MemoryType(syntax.Limits(1))]
TABLE = [syntax.TableType(FUNCREF, syntax.Limits(1))]


# -- bodies: basics, errors carry where -------------------------------------------------


def test_valid_body() -> None:
    validate_module(
        build([("local.get", 0), ("i32.const", 1), "i32.add"], params=[I32], results=[I32])
    )


def test_type_mismatch_says_function_and_offset() -> None:
    m = syntax.Module()
    m.types = [FuncType((), ())]
    m.imports = [syntax.Import("env", "f", syntax.EXTERN_FUNC, 0)]
    m.funcs = [0, 0]
    m.codes = [body([]), body([("i32.const", 1), ("i64.const", 2), "i32.add", "drop"])]
    m = decode_module(encode.module(m))
    err = invalid(m, "type mismatch")
    assert err.func_index == 2  # imports come first in the index space
    add = dict(decoded_offsets(m, 1))["i32.add"]
    assert err.offset == add
    assert m.codes[1].source[err.offset] == BY_NAME["i32.add"].code


@pytest.mark.parametrize(
    "instrs, results, message",
    [
        ([("i64.const", 0)], [I32], "type mismatch"),
        ([("i32.const", 0)], [], "type mismatch"),  # left on the stack
        ([], [I32], "type mismatch"),
        (["i32.eqz"], [I32], "type mismatch"),  # empty stack
        ([("local.get", 3)], [], "unknown local 3"),
        ([("global.get", 0)], [], "unknown global 0"),
        ([("call", 5)], [], "unknown function 5"),
        ([("br", 1)], [], "unknown label 1"),
        ([("block", 7), "end"], [], "unknown type 7"),
        ([("i32.const", 0), ("i32.load", (2, 0)), "drop"], [], "unknown memory"),
        ([("i32.const", 0), ("table.get", 0), "drop"], [], "unknown table 0"),
        ([("elem.drop", 0)], [], "unknown elem segment 0"),
        ([("i32.const", 0), ("call_indirect", (0, 0))], [], "unknown table 0"),
    ],
)
def test_body_errors(instrs: List[Instr], results: List[int], message: str) -> None:
    invalid(build(instrs, results=results), message)


def test_unknown_data_segment() -> None:
    m = build([("data.drop", 1)], mems=MEM, datas=[syntax.Data(b"", syntax.PASSIVE)], data_count=1)
    invalid(m, "unknown data segment 1")


def test_locals_and_globals() -> None:
    validate_module(build([("local.get", 1), ("local.tee", 0), ("local.set", 1)], params=[I64], locals_=[I64]))
    invalid(build([("local.get", 0), ("local.set", 1)], params=[I64], locals_=[F64]), "type mismatch")
    globals_ = [syntax.Global(syntax.GlobalType(F32, False), expr(("f32.const", 0)))]
    invalid(build([("f32.const", 0), ("global.set", 0)], globals=globals_), "global is immutable")


def test_memory_immediates() -> None:
    invalid(build([("i32.const", 0), ("i32.load", (3, 0)), "drop"], mems=MEM), "alignment must not be larger than natural")
    validate_module(build([("i32.const", 0), ("i32.load8_u", (0, 0)), "drop"], mems=MEM))
    v = [("i32.const", 0), ("v128.const", 0)]
    invalid(build(v + [("i8x16.extract_lane_s", 16), "drop"]), "invalid lane index")
    invalid(build(v + [("v128.load32_lane", (2, 0, 4)), "drop"], mems=MEM), "invalid lane index")
    invalid(build(v[1:] * 2 + [("i8x16.shuffle", (0,) * 15 + (32,)), "drop"]), "invalid lane index")
    validate_module(build(v[1:] * 2 + [("i8x16.shuffle", tuple(range(16, 32))), "drop"]))


# -- the polymorphic stack ------------------------------------------------------------------


@pytest.mark.parametrize(
    "instrs, results",
    [
        (["unreachable"], [I32]),
        (["unreachable", "i32.add"], [I32]),
        (["unreachable", "drop", "drop"], []),
        (["unreachable", "select"], [I64]),
        (["unreachable", ("i32.const", 0), "select"], [V128]),
        ([("i32.const", 0), ("br", 0), "i64.add", "drop"], [I32]),
        (["unreachable", ("br_if", 0), "i32.eqz"], [I32]),
        ([("block", -64), "unreachable", "end"], []),
    ],
)
def test_unreachable_code_is_polymorphic(instrs: List[Instr], results: List[int]) -> None:
    validate_module(build(instrs, results=results))


@pytest.mark.parametrize(
    "instrs, results",
    [
        (["unreachable", ("i64.const", 0), "i32.add"], [I32]),
        (["unreachable", ("f32.const", 0)], [I32]),
        ([("block", -64), "unreachable", "end", "drop"], []),  # a block's results are not polymorphic
        (["unreachable", ("ref.null", FUNCREF), "select"], []),
        (["unreachable", ("i32.const", 0), ("i32.const", 0)], []),  # too many values at the end
    ],
)
def test_unreachable_code_still_checks_known_types(instrs: List[Instr], results: List[int]) -> None:
    invalid(build(instrs, results=results), "type mismatch")


def test_br_table_arity_and_types() -> None:
    i32_block = syntax.blocktype_of_valtype(I32)
    f32_block = syntax.blocktype_of_valtype(F32)
    # Two labels of different arity: invalid even in unreachable code.
    invalid(
        build([("block", i32_block), ("block", -64), "unreachable", ("br_table", ((0,), 1)), "end", "end"], results=[I32]),
        "type mismatch",
    )
    # Same arity, different types: fine when the operand is unknown ...
    ok = [("block", f32_block), ("block", i32_block), "unreachable", ("br_table", ((0,), 1)), "end", "drop",
          ("f32.const", 0), "end", "drop"]  # fmt: skip
    validate_module(build(ok))
    # ... but not when it is known.
    bad = [("block", f32_block), ("block", i32_block), ("i32.const", 0), ("i32.const", 0), ("br_table", ((0,), 1)),
           "end", "drop", ("f32.const", 0), "end", "drop"]  # fmt: skip
    invalid(build(bad), "type mismatch")
    invalid(build([("i32.const", 0), ("br_table", ((0, 3), 0))]), "unknown label 3")


# -- select, if, blocks ---------------------------------------------------------------------


def test_select_rules() -> None:
    cond = [("i32.const", 1)]
    refs = [("ref.null", EXTERNREF), ("ref.null", EXTERNREF)] + cond
    invalid(build(refs + ["select", "drop"]), "type mismatch")
    validate_module(build(refs + [("select_t", (EXTERNREF,)), "drop"]))
    invalid(build(refs + [("select_t", (EXTERNREF, EXTERNREF)), "drop"]), "invalid result arity")
    invalid(build(refs + [("select_t", ()), "drop"]), "invalid result arity")
    invalid(build([("i32.const", 0), ("i64.const", 0)] + cond + ["select", "drop"]), "type mismatch")
    validate_module(build([("v128.const", 0), ("v128.const", 0)] + cond + ["select", "drop"]))


def test_blocks_with_parameters() -> None:
    two_to_one = FuncType((I32, I32), (I32,))
    types = [FuncType((), (I32,)), two_to_one]
    m = syntax.Module()
    m.types = types
    m.funcs = [0]
    m.codes = [body([("i32.const", 1), ("i32.const", 2), ("block", 1), "i32.add", "end"])]
    validate_module(decode_module(encode.module(m)))
    m.codes = [body([("i32.const", 1), ("block", 1), "i32.add", "end"])]
    invalid(decode_module(encode.module(m)), "type mismatch")
    # a loop's label carries its parameters
    m.codes = [body([("i32.const", 1), ("i32.const", 2), ("loop", 1), ("br", 0), "end"])]
    validate_module(decode_module(encode.module(m)))


def test_if_without_else_needs_matching_types() -> None:
    i32_block = syntax.blocktype_of_valtype(I32)
    invalid(build([("i32.const", 0), ("if", i32_block), ("i32.const", 1), "end"], results=[I32]), "type mismatch")
    ok = [("i32.const", 0), ("if", i32_block), ("i32.const", 1), "else", ("i32.const", 2), "end"]
    validate_module(build(ok, results=[I32]))
    invalid(build([("i64.const", 0), ("if", -64), "end"]), "type mismatch")


# -- references -----------------------------------------------------------------------------


def test_ref_func_must_be_declared() -> None:
    body_ = [("ref.func", 0), "drop"]
    invalid(build(body_), "undeclared function reference")
    invalid(build([("ref.func", 3), "drop"]), "unknown function 3")
    validate_module(build(body_, exports=[syntax.Export("f", syntax.EXTERN_FUNC, 0)]))
    declarative = syntax.Elem(FUNCREF, (expr(("ref.func", 0)),), syntax.DECLARATIVE)
    validate_module(build(body_, elems=[declarative]))
    g = syntax.Global(syntax.GlobalType(FUNCREF, False), expr(("ref.func", 0)))
    validate_module(build(body_, globals=[g]))


def test_table_instructions() -> None:
    validate_module(build([("i32.const", 0), ("table.get", 0), "ref.is_null", "drop"], tables=TABLE))
    invalid(build([("i32.const", 0), ("ref.null", EXTERNREF), ("table.set", 0)], tables=TABLE), "type mismatch")
    invalid(build([("i32.const", 0), "ref.is_null", "drop"]), "type mismatch")
    externs = [syntax.TableType(EXTERNREF, syntax.Limits(0))]
    invalid(build([("i32.const", 0), ("call_indirect", (0, 0))], tables=externs), "type mismatch")
    copy = [("i32.const", 0)] * 3 + [("table.copy", (0, 1))]
    invalid(build(copy, tables=TABLE + externs), "type mismatch")
    validate_module(build(copy, tables=TABLE + TABLE))


# -- constant expressions and module-level rules --------------------------------------------


def imported_global(mutable: bool) -> syntax.Import:
    return syntax.Import("env", "g", syntax.EXTERN_GLOBAL, syntax.GlobalType(I32, mutable))


@pytest.mark.parametrize(
    "init, imports, message",
    [
        (expr(("i32.const", 0), ("i32.const", 1), "i32.add"), [], "constant expression required"),
        (expr(("global.get", 0)), [], "unknown global 0"),
        (expr(("global.get", 0)), [imported_global(True)], "constant expression required"),
        (expr(("i64.const", 0)), [], "type mismatch"),
        (expr(), [], "type mismatch"),
        (expr(("i32.const", 0), ("i32.const", 0)), [], "type mismatch"),
    ],
)
def test_constant_expressions(init: syntax.Expr, imports: List[syntax.Import], message: str) -> None:
    g = syntax.Global(syntax.GlobalType(I32, False), init)
    invalid(build(globals=[g], imports=imports), message)


def test_globals_may_read_imported_immutable_globals_only() -> None:
    ok = syntax.Global(syntax.GlobalType(I32, False), expr(("global.get", 0)))
    validate_module(build(globals=[ok], imports=[imported_global(False)]))
    own = [syntax.Global(syntax.GlobalType(I32, False), expr(("i32.const", 0)))] * 2
    own[1] = syntax.Global(syntax.GlobalType(I32, False), expr(("global.get", 0)))
    invalid(build(globals=own), "unknown global 0")
    data = syntax.Data(b"x", syntax.ACTIVE, 0, expr(("global.get", 0)))
    invalid(build(globals=own[:1], mems=MEM, datas=[data]), "unknown global")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"mems": [syntax.MemoryType(syntax.Limits(65537))]}, "memory size must be at most 65536 pages (4GiB)"),
        ({"mems": [syntax.MemoryType(syntax.Limits(0, 65537))]}, "memory size must be at most 65536 pages (4GiB)"),
        ({"mems": [syntax.MemoryType(syntax.Limits(2, 1))]}, "size minimum must not be greater than maximum"),
        ({"tables": [syntax.TableType(FUNCREF, syntax.Limits(2, 1))]}, "size minimum must not be greater than maximum"),
        ({"mems": MEM * 2}, "multiple memories"),
        ({"start": 1, "funcs": [0, 1]}, "start function"),
        ({"start": 2}, "unknown function 2"),
        ({"exports": [syntax.Export("a", syntax.EXTERN_FUNC, 0)] * 2}, "duplicate export name"),
        ({"exports": [syntax.Export("m", syntax.EXTERN_MEMORY, 0)]}, "unknown memory 0"),
        ({"exports": [syntax.Export("g", syntax.EXTERN_GLOBAL, 0)]}, "unknown global 0"),
        ({"funcs": [3]}, "unknown type 3"),
        ({"datas": [syntax.Data(b"", syntax.ACTIVE, 0, expr(("i32.const", 0)))]}, "unknown memory 0"),
        ({"elems": [syntax.Elem(FUNCREF, (), syntax.ACTIVE, 0, expr(("i32.const", 0)))]}, "unknown table 0"),
        (
            {"tables": TABLE, "elems": [syntax.Elem(FUNCREF, (), syntax.ACTIVE, 0, expr(("i64.const", 0)))]},
            "type mismatch",
        ),
        (
            {"tables": TABLE, "elems": [syntax.Elem(EXTERNREF, (), syntax.ACTIVE, 0, expr(("i32.const", 0)))]},
            "type mismatch",
        ),
        ({"elems": [syntax.Elem(FUNCREF, (expr(("ref.null", EXTERNREF)),), syntax.PASSIVE)]}, "type mismatch"),
    ],
)
def test_module_rules(fields: dict, message: str) -> None:
    m = syntax.Module()
    m.types = [FuncType((), ()), FuncType((I32,), ())]
    m.funcs = [0]
    m.codes = [body([])]
    for name, value in fields.items():
        setattr(m, name, value)
    m.codes = [body([]) for _ in m.funcs]
    invalid(decode_module(encode.module(m)), message)


def test_memory_of_65536_pages_is_valid() -> None:
    validate_module(build(mems=[syntax.MemoryType(syntax.Limits(0, 65536))]))


# -- malformed bodies ---------------------------------------------------------------------


def test_data_count_required_for_bulk_memory() -> None:
    passive = [syntax.Data(b"", syntax.PASSIVE)]
    malformed(build([("data.drop", 0)], mems=MEM, datas=passive), "data count section required")
    init = [("i32.const", 0)] * 3 + [("memory.init", (0, 0))]
    malformed(build(init, mems=MEM, datas=passive), "data count section required")
    validate_module(build(init, mems=MEM, datas=passive, data_count=1))


def test_body_structure() -> None:
    # the module ends where the body does: its bytes ran out
    malformed(build([("i32.const", 0), "drop"], end=False), "unexpected end of section or function")
    malformed(build(["end", "nop"], end=False), "section size mismatch")
    malformed(build(["else"]), "END opcode expected")
    malformed(build([("i32.const", 0), ("if", -64), "else", "else", "end"]), "END opcode expected")


def test_malformed_body_wins_over_an_earlier_invalid_one() -> None:
    m = syntax.Module()
    m.types = [FuncType((), ())]
    m.funcs = [0, 0]
    m.codes = [body([("i32.const", 0)]), body([("block", -64)])]
    malformed(decode_module(encode.module(m)), "unexpected end of section or function")


def test_missing_end_between_functions() -> None:
    m = syntax.Module()
    m.types = [FuncType((), ())]
    m.funcs = [0, 0]
    m.codes = [body([], end=False), body([])]
    decoded = decode_module(encode.module(m))
    err = malformed(decoded, "END opcode expected")
    assert err.offset == decoded.codes[0].end


# -- the fast path (validate/fast.py) -------------------------------------------------------
#
# It may only ever say "valid" for a valid body; every other body goes to the exact
# validator, which alone reports errors. So: what it takes, what it declines (with
# the exact validator's error unchanged), and byte-level mutants of bodies it takes.


def fast_verdict(module: syntax.Module, func: int = 0, raw: Optional[bytes] = None) -> bool:
    """The fast path's answer for defined function ``func`` (or for the body ``raw``)."""
    from wasmlite.validate import fast

    v = FuncValidator(module)
    b = module.codes[func] if raw is None else syntax.FuncBody(raw, 0, len(raw))
    ft = module.types[module.funcs[func]]
    locals_, pos = read_locals(b)
    return fast.check_body(fast.Context(v), b.source[pos : b.end], ft.params + locals_, ft.results)


def exact_error(module: syntax.Module, monkeypatch: pytest.MonkeyPatch) -> Tuple[str, str, Any, Any]:
    """What validating ``module`` raises with the fast path switched off."""
    from wasmlite.validate import code as code_module

    with monkeypatch.context() as patch:
        patch.setattr(code_module, "check_body", lambda *args: False)
        with pytest.raises((ValidationError, DecodeError)) as info:
            validate_module(module)
    err = info.value
    return type(err).__name__, err.message, err.offset, getattr(err, "func_index", None)


I32_BLOCK = syntax.blocktype_of_valtype(I32)
I64_BLOCK = syntax.blocktype_of_valtype(I64)
GLOBALS = [syntax.Global(syntax.GlobalType(I64, True), expr(("i64.const", 0))),
           syntax.Global(syntax.GlobalType(F32, False), expr(("f32.const", 0)))]  # fmt: skip
COMMON = dict(mems=MEM, tables=TABLE, globals=GLOBALS)


@pytest.mark.parametrize(
    "instrs, results",
    [
        ([("local.get", 0), ("i32.const", 1000), "i32.add", ("local.tee", 1), "i64.extend_i32_u", ("i64.const", -1), "i64.add",
          ("local.set", 2), ("local.get", 1)], [I32]),
        ([("local.get", 0), ("i32.load8_u", (0, 300)), ("local.get", 2), ("i64.store", (3, 0)), ("i32.const", 0)],
         [I32]),
        ([("block", I32_BLOCK), ("i32.const", 1), ("local.get", 0), ("br_if", 0), "drop", ("i32.const", 2), "end"],
         [I32]),
        ([("loop", -64), ("local.get", 0), ("br_if", 0), "end", ("local.get", 0), ("if", I64_BLOCK),
          ("i64.const", 1), "else", ("local.get", 2), "end", "i32.wrap_i64"], [I32]),
        ([("block", -64), ("block", -64), ("local.get", 0), ("br_table", ((0, 1, 0), 1)), "end", ("br", 0), "end",
          ("i32.const", 7), "return"], [I32]),
        ([("local.get", 0), ("call", 0), ("global.get", 0), ("global.set", 0), ("global.get", 1), "drop",
          ("local.get", 0), ("local.get", 0), ("call_indirect", (0, 0)), "i32.add"], [I32]),
        ([("f32.const", 0), ("f64.const", 0), "f32.demote_f64", "f32.add", "i32.trunc_sat_f32_s", ("memory.size", 0),
          ("local.get", 0), ("local.get", 0), "select", ("memory.grow", 0), "i32.add"], [I32]),
        ([("i32.const", 0), ("i32.const", 0), ("i32.const", 0), ("memory.copy", (0, 0)), ("i32.const", 0),
          ("i32.const", 0), ("i32.const", 0), ("memory.fill", 0), "nop", "unreachable"], [I32]),
    ],
)
def test_fast_path_takes_common_code(instrs: List[Instr], results: List[int]) -> None:
    m = build(instrs, params=[I32], results=results, locals_=[I32, I64], **COMMON)
    m.types[0] = FuncType((I32,), tuple(results))
    m = decode_module(encode.module(m))
    validate_module(m)
    assert fast_verdict(m)


@pytest.mark.parametrize(
    "instrs, fields",
    [
        ([("local.get", 3)], {}),  # unknown local
        ([("local.get", 1), ("local.set", 0)], {}),  # i64 into i32
        ([("local.get", 1), ("local.tee", 0), "drop"], {}),
        ([("i64.const", 0), "i32.eqz", "drop"], {}),  # unary operand
        ([("i32.const", 0), ("i64.const", 0), "i32.add", "drop"], {}),  # binary, second operand
        ([("i64.const", 0), ("i32.const", 0), "i32.add", "drop"], {}),  # binary, first operand
        (["i32.add", "drop"], {}),  # nothing on the stack
        ([("i32.const", 0), ("block", -64), "i32.eqz", "drop", "end", "drop"], {}),  # operand outside the block
        ([("i32.const", 0), ("block", -64), "drop", "end"], {}),
        ([("block", I32_BLOCK), "end", "drop"], {}),  # block without its result
        ([("block", -64), ("i32.const", 0), "end"], {}),  # value left at end
        ([("block", I32_BLOCK), ("i64.const", 0), "end", "drop"], {}),
        ([("i32.const", 0), ("if", I32_BLOCK), ("i32.const", 1), "end", "drop"], {}),  # if without else
        ([("i32.const", 0), ("i32.const", 1), ("if", 0), "drop", "end"], {}),  # ... taking a parameter
        ([("i64.const", 0), ("if", -64), "end"], {}),  # i64 condition
        ([("i32.const", 0), ("if", I32_BLOCK), ("i64.const", 1), "else", ("i32.const", 2), "end", "drop"], {}),
        (["else"], {}),  # else without if: malformed
        ([("block", -64), ("i64.const", 0), ("br_if", 0), "end"], {}),
        ([("block", I32_BLOCK), ("i64.const", 0), ("i32.const", 0), ("br_if", 0), "drop", ("i32.const", 0),
          "end", "drop"], {}),
        ([("i32.const", 0), ("br_if", 2)], {}),  # unknown label
        ([("block", I32_BLOCK), ("br", 0), "end", "drop"], {}),  # br without the label's value
        ([("block", -64), ("br", 0), ("i32.const", 0), "end"], {}),  # dead code: the exact validator's case
        ([("block", -64), ("br", 0), "i32.add", "end"], {}),  # dead code that is valid (polymorphic)
        ([("i32.const", 0), ("block", -64), ("i64.const", 0), ("br_table", ((0, 1), 0)), "end"], {}),
        ([("block", I32_BLOCK), ("i32.const", 0), ("i32.const", 0), ("br_table", ((0, 1), 0)), "end", "drop"],
         {}),  # labels of different arity
        (["drop"], {}),
        ([("block", -64), "drop", "end"], {}),
        ([("i32.const", 0), ("i64.const", 0), ("i32.const", 0), "select", "drop"], {}),
        ([("call", 1)], {}),
        ([("i64.const", 0), ("call", 0), "drop"], {}),  # the callee takes i32
        ([("i32.const", 0), ("i32.const", 0), ("call_indirect", (0, 0)), "drop"], {"tables": []}),
        ([("i32.const", 0), ("i32.const", 0), ("call_indirect", (0, 0)), "drop"],
         {"tables": [syntax.TableType(EXTERNREF, syntax.Limits(1))]}),
        ([("i32.const", 0), ("i32.const", 0), ("call_indirect", (4, 0)), "drop"], {}),
        ([("global.get", 2), "drop"], {}),
        ([("i64.const", 0), ("global.set", 1)], {}),  # immutable
        ([("i32.const", 0), ("global.set", 0)], {}),  # i32 into i64
        ([("i32.const", 0), ("i32.load", (2, 0)), "drop"], {"mems": []}),
        ([("i32.const", 0), ("i32.load", (3, 0)), "drop"], {}),  # alignment over natural
        ([("i64.const", 0), ("i32.load", (2, 0)), "drop"], {}),
        ([("i32.const", 0), ("i32.const", 0), ("i64.store", (3, 0))], {}),
        ([("i64.const", 0), ("i64.const", 0), ("i64.store", (3, 0))], {}),
        ([("memory.size", 0), "drop"], {"mems": []}),
        ([("i64.const", 0), ("memory.grow", 0), "drop"], {}),
        ([("i32.const", 0), ("i32.const", 0), ("memory.fill", 0)], {}),  # two operands of three
        ([("i32.const", 0)] * 3 + [("memory.copy", (0, 0))], {"mems": []}),
        ([("f64.const", 0), "i32.trunc_sat_f32_s", "drop"], {}),
        ([("f32.const", 0), ("i32.const", 0), "f32.add", "drop"], {}),
        (["unreachable", ("i32.const", 0)], {}),  # dead code, then one value too many
    ],
)
def test_fast_path_declines_and_the_error_stays_exact(
    instrs: List[Instr], fields: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = build(instrs, params=[I32], locals_=[I64], **{**COMMON, **fields})
    assert not fast_verdict(m)
    try:
        validate_module(m)
    except (ValidationError, DecodeError) as err:
        assert (type(err).__name__, err.message, err.offset, getattr(err, "func_index", None)) == exact_error(
            m, monkeypatch
        )


def test_fast_path_declines_code_outside_its_subset_which_stays_valid() -> None:
    v = [("v128.const", 0), "i8x16.abs", "drop"]  # SIMD
    for instrs in ([("block", -64), ("br", 0), "i32.add", "drop", "end"], v, ["unreachable", "i32.add", "drop"],
                   [("i32.const", 0), ("i32.const", 0), ("i32.const", 1), ("select_t", (I32,)), "drop"]):
        m = build(instrs, **COMMON)
        validate_module(m)
        assert not fast_verdict(m)


def mutants(raw: bytes) -> Iterable[bytes]:
    """Each byte replaced by every other value, each truncation, each byte doubled."""
    for i in range(len(raw)):
        for b in range(256):
            if b != raw[i]:
                yield raw[:i] + bytes([b]) + raw[i + 1 :]
        yield raw[:i]
        yield raw[:i] + raw[i : i + 1] + raw[i:]


def test_fast_path_takes_no_invalid_mutant(monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte-level mutants of bodies the fast path takes: whenever it still says
    valid, so must the exact validator (boundaries, LEB128 forms, every check)."""
    from wasmlite.validate import code as code_module

    instrs = [("local.get", 0), ("i32.load", (2, 200)), ("local.get", 1), ("i64.const", 300), "i64.add",
              ("global.set", 0), ("block", I32_BLOCK), ("i32.const", 5), ("local.get", 0), ("br_if", 0), ("call", 0),
              ("local.tee", 0), ("local.get", 0), ("br_table", ((0,), 0)), "end", "i32.add", ("f32.const", 0),
              "f32.neg", "i32.trunc_sat_f32_u", ("local.get", 0), "select", ("i32.const", 0), ("i32.const", 0),
              ("memory.fill", 0), ("i32.const", 0)]  # fmt: skip
    m = build(instrs, params=[I32], results=[I32], locals_=[I64], **COMMON)
    m.types[0] = FuncType((I32,), (I32,))
    m = decode_module(encode.module(m))
    assert fast_verdict(m)
    exact = FuncValidator(m)
    ft = m.types[0]
    b = m.codes[0]
    _, pos = read_locals(b)
    decls, instrs_ = b.source[b.start : pos], b.source[pos : b.end]
    taken = 0
    monkeypatch.setattr(code_module, "check_body", lambda *args: False)
    for mutant in mutants(instrs_):
        raw = decls + mutant
        if fast_verdict(m, raw=raw):
            taken += 1
            exact.validate_function(0, ft, syntax.FuncBody(raw, 0, len(raw)))  # must not raise
    assert taken > 100  # the immediates' other values, mostly
