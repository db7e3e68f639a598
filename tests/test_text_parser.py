"""WAT module parsing: abbreviations, identifiers, type uses, errors."""

from __future__ import annotations

import pytest

from wasmlite import syntax
from wasmlite.errors import ParseError
from wasmlite.opcodes import BY_NAME
from wasmlite.text import parse_module, wat2wasm
from wasmlite import encode


def same(a, b):
    """Two texts denote the same module (names aside)."""
    ma, mb = parse_module(a), parse_module(b)
    ma.names = mb.names = syntax.Names()
    assert ma == mb


def code(*instrs):
    """Encoded instructions: each an opcode name, or (name, immediate)."""
    out = b""
    for ins in instrs:
        name, imm = (ins, None) if isinstance(ins, str) else ins
        out += encode.instr(BY_NAME[name], imm)
    return out


def body(m, i=0):
    return m.codes[i].body_bytes()


def test_empty_module_forms():
    assert parse_module("(module)") == syntax.Module()
    assert parse_module("") == syntax.Module()
    assert parse_module("(module $m)").names.module == "m"


def test_bare_fields_equal_module():
    same("(func) (memory 1)", "(module (func) (memory 1))")


def test_folded_and_flat_instructions_agree():
    same(
        "(func (result i32) (i32.add (i32.const 1) (i32.const 2)))",
        "(func (result i32) i32.const 1 i32.const 2 i32.add)",
    )
    same(
        "(func (param i32) (if (local.get 0) (then (nop)) (else (unreachable))))",
        "(func (param i32) local.get 0 if nop else unreachable end)",
    )
    same(
        "(func (block $b (loop $l (br_if $l (i32.const 0)) (br $b))))",
        "(func block $b loop $l i32.const 0 br_if $l br $b end end)",
    )


def test_labels_resolve_to_depths():
    m = parse_module("(func (block $a (block $b (br $a) (br $b) (br 1))))")
    assert body(m).endswith(
        code(("br", 1), ("br", 0), ("br", 1), "end", "end", "end")
    )


def test_shadowed_label():
    m = parse_module("(func (block $l (block $l (br $l))))")
    assert code(("br", 0)) in body(m)


def test_identifiers_for_every_space():
    m = parse_module(
        """
        (type $t (func))
        (import "m" "f" (func $imp (type $t)))
        (func $f (type $t) (call $f) (call $imp))
        (table $tab 1 funcref)
        (memory $mem 1)
        (global $g (mut i32) (i32.const 0))
        (elem $e func $f)
        (data $d "x")
        (func $g2 (param $p i32) (local $l i32)
          (global.set $g (local.get $p))
          (local.set $l (i32.const 0))
          (table.init $tab $e (i32.const 0) (i32.const 0) (i32.const 0))
          (elem.drop $e)
          (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))
          (data.drop $d)
          (drop (table.get $tab (i32.const 0))))
        (export "t" (table $tab))
        (export "m" (memory $mem))
        (start $f)
        """
    )
    assert m.funcs == [0, 1]
    assert body(m, 0) == encode.func_body([], code(("call", 1), ("call", 0), "end"))
    assert m.exports == [syntax.Export("t", syntax.EXTERN_TABLE, 0), syntax.Export("m", syntax.EXTERN_MEMORY, 0)]
    assert m.start == 1
    assert m.data_count == 1  # memory.init and data.drop need it
    assert m.names.funcs == {0: "imp", 1: "f", 2: "g2"}
    assert m.names.locals == {2: {0: "p", 1: "l"}}
    assert code(("global.set", 0)) in body(m, 1)
    assert code(("table.init", (0, 0))) in body(m, 1)


def test_forward_references():
    m = parse_module("(func (call $later)) (func $later)")
    assert code(("call", 1)) in body(m)


@pytest.mark.parametrize(
    "source,message",
    [
        ("(func (call $nope))", "unknown function"),
        ("(func (br $nope))", "unknown label"),
        ("(func (local.get $nope))", "unknown local"),
        ("(func (type $nope))", "unknown type"),
        ("(func $f) (func $f)", "duplicate func"),
        ("(func (param $x i32) (local $x i32))", "duplicate local"),
        ("(global $g i32 (i32.const 0)) (global $g i32 (i32.const 0))", "duplicate global"),
        ("(func block $a end $b)", "mismatching label"),
        ("(func i32.const 0 if else $l end)", "mismatching label"),
        ("(func) (import \"\" \"\" (func))", "import after function"),
        ("(memory 0) (func (import \"\" \"\"))", "import after memory"),
        ("(func (i32.const 0x1_0000_0000) drop)", "constant out of range"),
        ("(func (f32.const 1e39) drop)", "constant out of range"),
        ("(func (i32.const nan) drop)", "unexpected token"),
        ("(func (i32.const) drop)", "unexpected token"),
        ("(func (i32.load align=3 (i32.const 0)) drop)", "alignment"),
        ("(memory 1) (func (drop (i32.load offset=4294967296 (i32.const 0))))", "i32 constant"),
        ("(func (get_local 0))", "unknown operator"),
        ("(func (nop) (local i32))", "unexpected token"),
        ("(func (result i32) (param i32) (i32.const 0))", "unexpected token"),
        ("(type $t (func (param i32))) (func (type $t) (param i64))", "inline function type"),
        ("(func (block (param $x i32)))", "unexpected token"),
        ("(export \"\\ff\" (func 0)) (func)", "malformed UTF-8 encoding"),
        ("(func (v128.const i32x4 1 2 3) drop)", "wrong number of lane literals"),
        ("(func (i8x16.extract_lane_s 256 (v128.const i64x2 0 0)) drop)", "malformed lane index"),
        ("(func (i8x16.shuffle 0 1 2 (v128.const i64x2 0 0) (v128.const i64x2 0 0)) drop)", "invalid lane length"),
        ("(start 0) (start 0) (func)", "multiple start sections"),
        ("(module) (module)", "unexpected token"),
        ("(func nop))", "unexpected token"),
        ("(func (block $l (i32.const 0) (br_table 0$l)))", "unknown operator"),
        ("(func block)", "unexpected token"),
        ("(func end)", "unexpected token"),
    ],
)
def test_malformed(source, message):
    with pytest.raises(ParseError) as info:
        parse_module(source)
    assert info.value.message.startswith(message), info.value.message


def test_out_of_range_numeric_indices_are_not_parse_errors():
    m = parse_module("(func (call 7) (local.get 9) (br 5) (global.get 3)) (export \"x\" (func 99))")
    assert m.exports[0].index == 99


def test_deeply_nested_input():
    n = 20000
    m = parse_module("(func (result i32) " + "(i32.eqz " * n + "(i32.const 0)" + ")" * n + ")")
    assert body(m).count(code("i32.eqz")) == n
    m = parse_module("(func " + "(block " * n + ")" * n + ")")
    assert body(m).count(code(("block", syntax.BLOCK_EMPTY))) == n
    with pytest.raises(ParseError):
        parse_module("(func " + "(block " * n + ")" * (n - 1) + "end))")


# -- type uses ------------------------------------------------------------------------


def test_typeuse_reuses_an_existing_type():
    m = parse_module("(type (func)) (type (func (param i32))) (func (param i32)) (func)")
    assert m.types == [syntax.FuncType((), ()), syntax.FuncType((syntax.I32,), ())]
    assert m.funcs == [1, 0]


def test_typeuse_matches_types_defined_later():
    m = parse_module("(func (param i32)) (type (func (param i32)))")
    assert len(m.types) == 1 and m.funcs == [0]


def test_typeuse_appends_types_at_the_end_in_order():
    m = parse_module(
        """
        (type $a (func))
        (func (param i64) (result i64) (local.get 0))
        (func (param f32))
        (type $b (func (param i32)))
        (func (param i64) (result i64) (local.get 0))
        (func (call_indirect (param f64) (f64.const 0) (i32.const 0)))
        (table 1 funcref)
        """
    )
    i64, f32, f64 = syntax.I64, syntax.F32, syntax.F64
    assert m.types == [
        syntax.FuncType((), ()),
        syntax.FuncType((syntax.I32,), ()),
        syntax.FuncType((i64,), (i64,)),
        syntax.FuncType((f32,), ()),
        syntax.FuncType((f64,), ()),
    ]
    assert m.funcs == [2, 3, 2, 0]


def test_block_types():
    m = parse_module(
        """
        (func
          (block (result i32) (i32.const 0)) drop
          (i32.const 0) (block (param i32) (result i32))  drop
          (block (result i32 i32) (i32.const 0) (i32.const 0)) drop drop)
        """
    )
    b = body(m)
    assert code(("block", syntax.blocktype_of_valtype(syntax.I32))) in b
    assert m.types[1:] == [
        syntax.FuncType((syntax.I32,), (syntax.I32,)),
        syntax.FuncType((), (syntax.I32, syntax.I32)),
    ]
    assert code(("block", 1)) in b and code(("block", 2)) in b


def test_typed_select():
    m = parse_module("(func (select (result i32) (i32.const 1) (i32.const 2) (i32.const 3)) drop)")
    assert code(("i32.const", 3)) + b"\x1c\x01\x7f" + code("drop") in body(m)
    m = parse_module("(func (select (i32.const 1) (i32.const 2) (i32.const 3)) drop)")
    assert code(("i32.const", 3), "select", "drop") in body(m)


# -- abbreviations --------------------------------------------------------------------


def test_inline_export_and_import():
    same(
        '(func $f (export "a") (export "b") (import "m" "n") (param i32))',
        '(import "m" "n" (func $f (param i32))) (export "a" (func $f)) (export "b" (func $f))',
    )
    same('(global (export "g") (import "m" "g") (mut i32))', '(import "m" "g" (global (mut i32))) (export "g" (global 0))')
    same('(memory (export "m") 1 2)', '(memory 1 2) (export "m" (memory 0))')
    same('(table (import "m" "t") 1 funcref)', '(import "m" "t" (table 1 funcref))')


def test_exports_keep_textual_order():
    m = parse_module('(func (export "a")) (export "b" (func 0)) (func (export "c"))')
    assert [e.name for e in m.exports] == ["a", "b", "c"]


def test_memory_data_abbreviation():
    same('(memory (data "ab" "c"))', '(memory 1 1) (data (memory 0) (offset (i32.const 0)) "abc")')
    same("(memory (data))", "(memory 0 0) (data (i32.const 0))")
    m = parse_module('(memory (data "' + "\\00" * 65537 + '"))')
    assert m.mems[0].limits == syntax.Limits(2, 2)


def test_table_elem_abbreviation():
    same(
        "(func $f) (table funcref (elem $f $f))",
        "(func $f) (table 2 2 funcref) (elem (table 0) (offset (i32.const 0)) func $f $f)",
    )
    same(
        "(table $t externref (elem (item ref.null extern) (ref.null extern)))",
        "(table $t 2 2 externref) (elem (table $t) (i32.const 0) externref (ref.null extern) (item (ref.null extern)))",
    )


def test_elem_segment_forms():
    m = parse_module(
        """
        (table $t 1 funcref)
        (func $f)
        (elem (i32.const 0) $f)
        (elem (offset (i32.const 0)) 0)
        (elem (table $t) (i32.const 0) func $f)
        (elem funcref (ref.func $f) (item ref.null func))
        (elem declare func $f)
        (elem $e func)
        """
    )
    ref_f = syntax.Expr(code(("ref.func", 0), "end"))
    zero = syntax.Expr(code(("i32.const", 0), "end"))
    null = syntax.Expr(code(("ref.null", syntax.FUNCREF), "end"))
    assert m.elems == [
        syntax.Elem(syntax.FUNCREF, (ref_f,), syntax.ACTIVE, 0, zero),
        syntax.Elem(syntax.FUNCREF, (ref_f,), syntax.ACTIVE, 0, zero),
        syntax.Elem(syntax.FUNCREF, (ref_f,), syntax.ACTIVE, 0, zero),
        syntax.Elem(syntax.FUNCREF, (ref_f, null), syntax.PASSIVE),
        syntax.Elem(syntax.FUNCREF, (ref_f,), syntax.DECLARATIVE),
        syntax.Elem(syntax.FUNCREF, (), syntax.PASSIVE),
    ]


def test_data_segment_forms():
    same('(memory 1) (data (i32.const 1) "a")', '(memory 1) (data (memory 0) (offset (i32.const 1)) "a")')
    m = parse_module('(memory $m 1) (data $d "x" "y") (data (memory $m) (i32.const 0))')
    assert m.datas == [
        syntax.Data(b"xy", syntax.PASSIVE),
        syntax.Data(b"", syntax.ACTIVE, 0, syntax.Expr(code(("i32.const", 0), "end"))),
    ]


def test_offset_may_hold_several_instructions():
    m = parse_module("(memory 1) (global i32 (i32.const 1)) (data (offset (global.get 0)) \"\")")
    assert m.datas[0].offset == syntax.Expr(code(("global.get", 0), "end"))


def test_param_and_local_abbreviations():
    same("(func (param i32 i64) (local f32 f64))", "(func (param i32) (param i64) (local f32) (local f64))")
    same("(func (result i32 i64) unreachable)", "(func (result i32) (result i64) unreachable)")


# -- immediates -----------------------------------------------------------------------


def test_memarg():
    m = parse_module("(memory 1) (func (drop (i64.load32_u offset=0x10 align=2 (i32.const 0))) (drop (i64.load (i32.const 0))))")
    assert code(("i64.load32_u", (1, 16))) in body(m)
    assert code(("i64.load", (3, 0))) in body(m)


def test_v128_const_shapes():
    def v128(text):
        m = parse_module(f"(func (v128.const {text}) drop)")
        return int.from_bytes(body(m)[3:19], "little")  # after: no locals, 0xFD 0x0C

    assert v128("i8x16 -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 255") == 0xFF << 120 | 0xFF
    assert v128("i16x8 1 0 0 0 0 0 0 -1") == 0xFFFF << 112 | 1
    assert v128("i32x4 0x80000000 0 0 0") == 0x80000000
    assert v128("i64x2 -1 0") == (1 << 64) - 1
    assert v128("f32x4 1 0 0 -0") == 0x80000000 << 96 | 0x3F800000
    assert v128("f64x2 0 nan:0x1") == 0x7FF0000000000001 << 64


def test_lane_immediates():
    m = parse_module(
        "(memory 1) (func (param v128) (result v128)"
        " (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get 0) (local.get 0))"
        " (v128.load8_lane offset=1 3 (i32.const 0))"
        " (i32x4.replace_lane 2 (i32.const 0)))"
    )
    b = body(m)
    assert code(("i8x16.shuffle", tuple(range(15, -1, -1)))) in b
    assert code(("v128.load8_lane", (0, 1, 3))) in b
    assert code(("i32x4.replace_lane", 2)) in b


def test_table_and_memory_instruction_immediates():
    m = parse_module(
        "(table $a 1 funcref) (table $b 1 funcref) (elem $e func) (memory 1) (data $d \"\")"
        " (func (table.copy $a $b (i32.const 0) (i32.const 0) (i32.const 0))"
        "  (table.copy (i32.const 0) (i32.const 0) (i32.const 0))"
        "  (table.init $b $e (i32.const 0) (i32.const 0) (i32.const 0))"
        "  (table.init $e (i32.const 0) (i32.const 0) (i32.const 0))"
        "  (drop (table.size $b)) (drop (memory.size))"
        "  (call_indirect $b (type 0) (i32.const 0))"
        "  (memory.copy (i32.const 0) (i32.const 0) (i32.const 0)))"
        " (type (func))"
    )
    b = body(m)
    assert code(("table.copy", (0, 1))) in b
    assert code(("table.copy", (0, 0))) in b
    assert code(("table.init", (0, 1))) in b
    assert code(("table.init", (0, 0))) in b
    assert code(("table.size", 1)) in b
    assert code(("memory.size", 0)) in b
    assert code(("call_indirect", (0, 1))) in b
    assert code(("memory.copy", (0, 0))) in b


def test_float_constants_are_exact_bits():
    m = parse_module("(func (f32.const -nan:0x200000) (f64.const 0x1p-1074) drop drop)")
    assert code(("f32.const", 0xFFA00000), ("f64.const", 1)) in body(m)


def test_br_table():
    m = parse_module("(func (block $a (block $b (br_table $a $b 0 (i32.const 0)))))")
    assert code(("br_table", ((1, 0), 0))) in body(m)


def test_wat2wasm_round_trip():
    decode = pytest.importorskip("wasmlite.decode")
    source = """
    (module $m
      (type $t (func (param i32) (result i32)))
      (import "env" "f" (func $imp (param i32)))
      (memory (data "hello"))
      (table funcref (elem $f $imp))
      (global $g (mut i32) (i32.const 5))
      (func $f (export "f") (type $t) (param $x i32) (result i32) (local $y i64)
        (block $b (result i32)
          (if (result i32) (local.get $x) (then (i32.const 1)) (else (br $b (i32.const 2)))))
        (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0))
        (v128.const f32x4 1 2 3 nan) drop
        (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (v128.const i64x2 0 0) (v128.const i64x2 0 0)) drop
        (i32.load offset=4 align=2 (i32.const 0)) drop
        (loop $l (br_if $l (i32.const 0))))
      (data (i32.const 0) "abc")
      (elem declare func $f)
    )
    """
    parsed = parse_module(source)
    assert decode.decode_module(wat2wasm(source)) == parsed
    assert parsed.names.module == "m"
