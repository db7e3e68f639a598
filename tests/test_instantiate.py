"""Instantiation (linking, allocation, segment initialisation, start) and the
script runner's linking, value conversion and result matching.

Instantiation is given a stand-in for the engine's ``call`` that only records its
calls, so these tests need no execution engine.
"""

from __future__ import annotations

from typing import Any, List, Tuple

import pytest

from wasmlite import syntax
from wasmlite.errors import LinkError, Trap
from wasmlite.numeric import f32_from_bits, f32_to_bits, f64_to_bits, i64_of
from wasmlite.runtime import (
    ExternRef,
    Function,
    GlobalInstance,
    HostFunction,
    MemoryInstance,
    TableInstance,
    WasmFunction,
)
from wasmlite.runtime.instantiate import instantiate
from wasmlite.text import parse_module
from wasmlite.text.wast import Value
from wasmlite.validate import validate_module
from wasmlite.wast_runner import ScriptRunner, matches, show, spectest, to_runtime

I32, I64, F32, F64 = syntax.I32, syntax.I64, syntax.F32, syntax.F64


class Recorder:
    """Stands in for ``wasmlite.engine.call``: records each call, returns no results."""

    def __init__(self) -> None:
        self.calls: List[Tuple[Function, List[Any]]] = []

    def __call__(self, func: Function, args: List[Any]) -> List[Any]:
        self.calls.append((func, args))
        return []


def module(text: str) -> syntax.Module:
    m = parse_module(text)
    validate_module(m)
    return m


def inst_of(text: str, imports: Any = (), call: Any = None):
    return instantiate(module(text), list(imports), call or Recorder())


def host(params=(), results=()) -> HostFunction:
    return HostFunction(syntax.FuncType(tuple(params), tuple(results)), lambda *a: None)


def table(min: int, max: Any = None, elem: int = syntax.FUNCREF) -> TableInstance:
    return TableInstance(syntax.TableType(elem, syntax.Limits(min, max)))


def memory(min: int, max: Any = None) -> MemoryInstance:
    return MemoryInstance(syntax.MemoryType(syntax.Limits(min, max)))


# -- import matching -------------------------------------------------------------------


def test_import_count_must_match() -> None:
    with pytest.raises(LinkError):
        inst_of('(module (import "m" "f" (func)))', [])


def test_table_over_the_implementation_limit_is_refused_before_allocation() -> None:
    # 4e9 elements would be a 32 GiB list; the cap (the limit table.grow keeps too) refuses it.
    with pytest.raises(LinkError, match="implementation limit"):
        inst_of("(module (table 4000000000 funcref))", [])
    assert len(inst_of("(module (table 10000000 funcref))", []).tables[0].elements) == 10_000_000


def test_host_out_of_memory_at_instantiation_is_a_link_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import wasmlite.runtime.instantiate as instantiate_module

    def no_memory(type: Any) -> MemoryInstance:
        raise MemoryError

    monkeypatch.setattr(instantiate_module, "MemoryInstance", no_memory)
    with pytest.raises(LinkError, match="not enough host memory"):
        inst_of("(module (memory 65536))", [])


@pytest.mark.parametrize(
    "decl, ext",
    [
        ("(func (param i32))", host([I64])),
        ("(func (result i32))", host()),
        ("(func)", GlobalInstance(syntax.GlobalType(I32, False), 0)),
        ("(table 10 funcref)", table(5)),
        ("(table 10 funcref)", table(10, elem=syntax.EXTERNREF)),
        ("(table 1 20 funcref)", table(10)),  # required max, none given
        ("(table 1 20 funcref)", table(10, 21)),
        ("(memory 2)", memory(1)),
        ("(memory 1 2)", memory(1)),
        ("(memory 1 2)", memory(1, 3)),
        ("(memory 1)", table(1)),
        ("(global i32)", GlobalInstance(syntax.GlobalType(I32, True), 0)),
        ("(global (mut i32))", GlobalInstance(syntax.GlobalType(I32, False), 0)),
        ("(global i64)", GlobalInstance(syntax.GlobalType(I32, False), 0)),
        ("(global i32)", host()),
    ],
)
def test_incompatible_import_type(decl: str, ext: Any) -> None:
    with pytest.raises(LinkError, match="^incompatible import type"):
        inst_of(f'(module (import "m" "x" {decl}))', [ext])


@pytest.mark.parametrize(
    "decl, ext",
    [
        ("(func (param i32) (result f64))", host([I32], [F64])),
        ("(table 10 funcref)", table(20)),
        ("(table 10 20 funcref)", table(15, 18)),
        ("(memory 1)", memory(2, 5)),
        ("(memory 1 2)", memory(2, 2)),
        ("(global (mut f32))", GlobalInstance(syntax.GlobalType(F32, True), 0.0)),
    ],
)
def test_compatible_import_is_in_index_space(decl: str, ext: Any) -> None:
    kind = decl[1:].split()[0].rstrip(")")
    inst = inst_of(f'(module (import "m" "x" {decl}) (export "x" ({kind} 0)))', [ext])
    assert inst.exports["x"] is ext


def test_table_limits_use_current_size() -> None:
    t = table(1)
    with pytest.raises(LinkError):
        inst_of('(module (import "m" "t" (table 3 funcref)))', [t])
    t.grow(2, None)
    inst_of('(module (import "m" "t" (table 3 funcref)))', [t])


def test_memory_limits_use_current_size() -> None:
    m = memory(0, 4)
    with pytest.raises(LinkError):
        inst_of('(module (import "m" "m" (memory 1 4)))', [m])
    m.grow(1)
    inst_of('(module (import "m" "m" (memory 1 4)))', [m])


# -- allocation and exports ----------------------------------------------------------


def test_functions_and_exports() -> None:
    imported = host([I32])
    inst = inst_of(
        """(module
             (import "m" "f" (func (param i32)))
             (func $a (result i32) (i32.const 1))
             (table 2 externref) (memory 1 3) (global i32 (i32.const 7))
             (export "imp" (func 0)) (export "a" (func $a))
             (export "t" (table 0)) (export "m" (memory 0)) (export "g" (global 0)))""",
        [imported],
    )
    assert inst.exports["imp"] is imported
    a = inst.exports["a"]
    assert isinstance(a, WasmFunction)
    assert (a.index, a.instance, a.type) == (1, inst, syntax.FuncType((), (I32,)))
    assert a.body is inst.module.codes[0]
    assert inst.funcs == [imported, a]
    assert inst.exports["t"].elements == [None, None]
    assert inst.exports["m"].pages == 1 and inst.exports["m"].max == 3
    assert inst.exports["g"].value == 7
    assert set(inst.exports) == {"imp", "a", "t", "m", "g"}


def test_global_initialisers() -> None:
    g = GlobalInstance(syntax.GlobalType(I64, False), 5)
    inst = inst_of(
        """(module
             (import "m" "g" (global i64))
             (func $f)
             (global i32 (i32.const -1))
             (global i64 (i64.const -2))
             (global f32 (f32.const nan:0x200001))
             (global f64 (f64.const -1.5))
             (global i64 (global.get 0))
             (global funcref (ref.func $f))
             (global externref (ref.null extern))
             (global v128 (v128.const i32x4 1 2 3 4)))""",
        [g],
    )
    values = [x.value for x in inst.globals[1:]]
    assert values[:2] == [0xFFFFFFFF, i64_of(0xFFFFFFFFFFFFFFFE)]
    assert f32_to_bits(values[2]) == 0x7FA00001  # a signalling NaN stays signalling
    assert values[3] == -1.5 and values[4] == 5
    assert values[5] is inst.funcs[0] and values[6] is None
    assert values[7] == 4 << 96 | 3 << 64 | 2 << 32 | 1


# -- segments --------------------------------------------------------------------------


def test_element_segments() -> None:
    inst = inst_of(
        """(module
             (table 6 funcref)
             (func $f) (func $g)
             (elem (i32.const 1) $f $g)
             (elem (i32.const 2) func $f)
             (elem $p funcref (ref.func $g) (ref.null func))
             (elem declare func $f))"""
    )
    f, g = inst.funcs
    assert inst.tables[0].elements == [None, f, f, None, None, None]
    assert inst.elems == [[], [], [g, None], []]  # only the passive one is kept


def test_data_segments() -> None:
    inst = inst_of(
        """(module (memory 1)
             (data (i32.const 0) "abc")
             (data (i32.const 1) "XY")
             (data "passive"))"""
    )
    assert bytes(inst.mems[0].data[:4]) == b"aXY\0"
    assert inst.datas == [b"", b"", b"passive"]


def test_data_at_the_end_of_memory_fits() -> None:
    inst = inst_of('(module (memory 1) (data (i32.const 65535) "z") (data (i32.const 65536) ""))')
    assert inst.mems[0].data[-1:] == b"z"


def test_data_out_of_bounds_traps_after_earlier_segments() -> None:
    mem = memory(1)
    with pytest.raises(Trap, match="^out of bounds memory access$"):
        inst_of(
            """(module (import "m" "mem" (memory 1))
                 (data (i32.const 0) "ok")
                 (data (i32.const 65535) "too long")
                 (data (i32.const 2) "never"))""",
            [mem],
        )
    assert bytes(mem.data[:7]) == b"ok\0\0\0\0\0"


def test_empty_data_beyond_memory_traps() -> None:
    with pytest.raises(Trap, match="^out of bounds memory access$"):
        inst_of('(module (memory 1) (data (i32.const 65537) ""))')


def test_elem_out_of_bounds_traps_after_earlier_segments() -> None:
    t = table(3)
    f = host()
    call = Recorder()
    with pytest.raises(Trap, match="^out of bounds table access$"):
        inst_of(
            """(module (import "m" "t" (table 3 funcref)) (import "m" "f" (func))
                 (memory 1)
                 (elem (i32.const 0) 0)
                 (elem (i32.const 2) 0 0)
                 (data (i32.const 0) "x")
                 (func $start) (start $start))""",
            [t, f],
            call,
        )
    assert t.elements == [f, None, None]
    assert call.calls == []  # neither data segments nor start ran


def test_elem_traps_before_data_is_written() -> None:
    mem = memory(1)
    with pytest.raises(Trap, match="^out of bounds table access$"):
        inst_of(
            """(module (import "m" "mem" (memory 1)) (table 0 funcref) (func)
                 (elem (i32.const 0) 0) (data (i32.const 0) "x"))""",
            [mem],
        )
    assert mem.data[0] == 0


def test_offset_from_imported_global() -> None:
    g = GlobalInstance(syntax.GlobalType(I32, False), 3)
    inst = inst_of('(module (import "m" "g" (global i32)) (memory 1) (data (global.get 0) "q"))', [g])
    assert inst.mems[0].data[3:4] == b"q"


def test_start_function_runs_last() -> None:
    seen: List[bytes] = []

    def call(func: Function, args: List[Any]) -> List[Any]:
        seen.append(bytes(func.instance.mems[0].data[:1]))  # type: ignore[attr-defined]
        assert args == [] and func.index == 1  # type: ignore[attr-defined]
        return []

    inst = inst_of(
        '(module (memory 1) (func) (func $s) (start $s) (data (i32.const 0) "d"))', call=call
    )
    assert seen == [b"d"]
    assert inst.mems[0].data[:1] == b"d"


def test_start_function_trap_propagates() -> None:
    def call(func: Function, args: List[Any]) -> List[Any]:
        raise Trap("unreachable")

    with pytest.raises(Trap, match="unreachable"):
        inst_of("(module (func $s unreachable) (start $s))", call=call)


def test_no_start_no_call() -> None:
    call = Recorder()
    inst_of("(module (func))", call=call)
    assert call.calls == []


# -- the script runner -------------------------------------------------------------


def run_script(text: str):
    return ScriptRunner("<test>").run(text)


def statuses(result) -> List[Tuple[int, str]]:
    return [(o.line, o.status) for o in result.outcomes]


def test_spectest_module() -> None:
    st = spectest()
    assert st.exports["global_i32"].value == 666
    assert f32_to_bits(st.exports["global_f32"].value) == 0x4426A666
    assert st.exports["global_f64"].value == 666.6
    assert len(st.exports["table"].elements) == 10 and st.exports["table"].max == 20
    assert st.exports["memory"].pages == 1 and st.exports["memory"].max == 2
    assert st.exports["print_i32_f32"].type == syntax.FuncType((I32, F32), ())
    assert st.exports["print"].callable() is None


def test_runner_links_registers_and_gets() -> None:
    result = run_script(
        """
(module $A (global (export "g") (mut i32) (i32.const 42)) (memory (export "mem") 1))
(register "a" $A)
(module $B
  (import "a" "g" (global (mut i32)))
  (import "spectest" "global_i64" (global $s i64))
  (import "spectest" "memory" (memory 1 2))
  (global (export "copy") i64 (global.get $s)))
(assert_return (get $A "g") (i32.const 42))
(assert_return (get "copy") (i64.const 666))
(assert_return (get "copy") (i64.const 667))
(assert_unlinkable (module (import "a" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "a" "g" (global i32))) "incompatible import type")
(assert_unlinkable (module (import "a" "mem" (func))) "unknown import")
(assert_uninstantiable (module (memory 0) (data (i32.const 1) "x")) "out of bounds memory access")
(assert_trap (module (table 0 funcref) (func) (elem (i32.const 0) 0)) "out of bounds table access")
(assert_unlinkable (module (memory 0) (data (i32.const 1) "x")) "unknown import")
"""
    )
    assert statuses(result) == [
        (2, "passed"), (4, "passed"), (9, "passed"), (10, "passed"), (11, "failed"),
        (12, "passed"), (13, "passed"), (14, "passed"), (15, "passed"), (16, "passed"), (17, "failed"),
    ]
    assert "expected [i64:0x29b], got [0x29a]" in result.outcomes[4].detail
    assert [w[0] for w in result.wording_differs] == [14]  # wrong kind: linked, but reported as a type error


def test_runner_commands_after_a_failed_module_fail() -> None:
    result = run_script(
        """
(module $ok (global (export "g") i32 (i32.const 1)))
(module $bad (import "nowhere" "x" (func)))
(assert_return (get "g") (i32.const 1))
(assert_return (get $bad "g") (i32.const 1))
(register "r" $bad)
(assert_return (get $ok "g") (i32.const 1))
(assert_return (get $missing "g") (i32.const 1))
(assert_return (get $ok "nope") (i32.const 1))
"""
    )
    assert statuses(result) == [
        (2, "passed"), (3, "failed"), (4, "failed"), (5, "failed"), (6, "failed"), (7, "passed"),
        (8, "failed"), (9, "failed"),
    ]
    assert "unknown import" in result.outcomes[1].detail
    assert "failed to instantiate" in result.outcomes[2].detail


def test_show() -> None:
    assert show(1.0, "f32") == "f32:0x3f800000 (1.0)"
    assert show(1.0, "f64") == "f64:0x3ff0000000000000 (1.0)"
    assert show(1e300, "f32") == "1e+300"
    assert show(255, "i32") == "0xff"
    assert show(None) == "None"


def test_to_runtime() -> None:
    assert to_runtime(Value("i32", 5)) == 5
    assert f32_to_bits(to_runtime(Value("f32", 0x7F800001))) == 0x7F800001
    assert f64_to_bits(to_runtime(Value("f64", 0xFFF0000000000001))) == 0xFFF0000000000001
    assert to_runtime(Value("v128", ("i16x8", (1, 0, 0, 0, 0, 0, 0, 0xFFFF)))) == 0xFFFF << 112 | 1
    assert to_runtime(Value("ref.null", "extern")) is None
    assert to_runtime(Value("ref.extern", 3)) == ExternRef(3)


@pytest.mark.parametrize(
    "expected, result, ok",
    [
        (Value("i32", 1), 1, True),
        (Value("i32", 1), 2, False),
        (Value("i32", 1), 1.0, False),
        (Value("f32", 0x3F800000), 1.0, True),
        (Value("f32", 0x80000000), 0.0, False),
        (Value("f32", 0x7F800000), 1e300, False),  # no f32 value at all
        (Value("f32", "nan:canonical"), f32_from_bits(0xFFC00000), True),
        (Value("f32", "nan:canonical"), f32_from_bits(0x7FC00001), False),
        (Value("f32", "nan:arithmetic"), f32_from_bits(0x7FC00001), True),
        (Value("f32", "nan:arithmetic"), f32_from_bits(0x7F800001), False),
        (Value("f64", "nan:canonical"), float("nan"), True),
        (Value("f64", 0x7FF0000000000001), float("nan"), False),
        (Value("v128", ("i8x16", tuple(range(16)))), int.from_bytes(bytes(range(16)), "little"), True),
        (Value("v128", ("f32x4", ("nan:canonical", 0, 0, 0x3F800000))), 0x3F800000 << 96 | 0x7FC00000, True),
        (Value("v128", ("f32x4", ("nan:canonical", 0, 0, 0x3F800000))), 0x3F800000 << 96 | 0x7FC00001, False),
        (Value("v128", ("f64x2", (1, "nan:arithmetic"))), 0xFFF8000000000001 << 64 | 1, True),
        (Value("ref.null", "func"), None, True),
        (Value("ref.null", "extern"), ExternRef(0), False),
        (Value("ref.extern", 1), ExternRef(1), True),
        (Value("ref.extern", 1), ExternRef(2), False),
        (Value("ref.extern", None), ExternRef(2), True),
        (Value("ref.extern", None), None, False),
        (Value("ref.func", None), host(), True),
        (Value("ref.func", None), None, False),
    ],
)
def test_matches(expected: Value, result: Any, ok: bool) -> None:
    assert matches(expected, result) is ok


def test_runner_invokes_through_the_engine() -> None:
    result = run_script(
        """
(module
  (global $g (mut i32) (i32.const 0))
  (func $start (global.set $g (i32.const 9)))
  (start $start)
  (func (export "g") (result i32) (global.get $g))
  (func (export "id") (param f64 externref) (result f64 externref) (local.get 0) (local.get 1))
  (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $loop (export "loop") (call $loop)))
(assert_return (invoke "g") (i32.const 9))
(assert_return (invoke "id" (f64.const -nan:0x4) (ref.extern 3)) (f64.const -nan:0x4) (ref.extern 3))
(assert_return (invoke "id" (f64.const 1) (ref.null extern)) (f64.const 1) (ref.null extern))
(assert_return (invoke "div" (i32.const 1)) (i32.const 2))
(assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 1)) "integer divide by zero")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(invoke "div" (i32.const 0))
(assert_uninstantiable (module (func $s unreachable) (start $s)) "unreachable")
"""
    )
    assert statuses(result) == [
        (2, "passed"), (10, "passed"), (11, "passed"), (12, "passed"), (13, "failed"), (14, "passed"),
        (15, "failed"), (16, "passed"), (17, "failed"), (18, "passed"),
    ]
    assert "expected [i32:0x2], got [0x1]" in result.outcomes[4].detail
    assert "but nothing failed" in result.outcomes[6].detail
    assert "Trap: integer divide by zero" in result.outcomes[8].detail
