"""Tests of the engine (``wasmlite.engine.call`` over tier 0): results, traps, calls
across the host boundary, deep recursion and lazy translation."""

from __future__ import annotations

import sys
from typing import Any, List

import pytest

from wasmlite import engine, syntax
from wasmlite.engine import interp
from wasmlite.errors import Trap
from wasmlite.numeric import f32_from_bits, f32_to_bits
from wasmlite.runtime import HostFunction, ModuleInstance, WasmFunction
from wasmlite.runtime.instantiate import instantiate
from wasmlite.text import parse_module
from wasmlite.validate import validate_module


def load(wat: str, imports: List[Any] = ()) -> ModuleInstance:  # type: ignore[assignment]
    module = parse_module(wat)
    validate_module(module)
    return instantiate(module, list(imports), engine.call)


def run(inst: ModuleInstance, name: str, *args: Any) -> List[Any]:
    return engine.call(inst.exports[name], list(args))


PROGRAMS = """(module
 (memory 1)
 (func $fac (export "fac") (param i64) (result i64)
   (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
     (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
 (func (export "sum") (param i32) (result i32) (local i32 i32)
   (block (loop
      (br_if 1 (i32.gt_u (local.get 2) (local.get 0)))
      (local.set 1 (i32.add (local.get 1) (local.get 2)))
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (br 0)))
   (local.get 1))
 (func $fib (export "fib") (param i32) (result i32)
   (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
     (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                    (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
 (func $depth (export "depth") (param i32) (result i32)
   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
     (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1)))))))
 (func $forever (export "forever") (call $forever))
 (func (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
 (func (export "swap_twice") (param i32 i32) (result i32 i32)
   (call 5 (call 5 (local.get 0) (local.get 1))))
 (func (export "old_value") (param i32) (result i32)
   (local.get 0) (local.set 0 (i32.const 100)) (local.get 0) (i32.sub))
 (func (export "switch") (param i32) (result i32)
   (block (result i32) (block (result i32) (block (result i32)
     (br_table 0 1 2 (i32.const 10) (local.get 0)))
     (i32.add (i32.const 1))) (i32.add (i32.const 2))))
 (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 (func (export "trap") (unreachable))
 (func (export "load") (param i32) (result i32) (i32.load offset=4 (local.get 0)))
 (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
 (func (export "f32_roundtrip") (param i32) (result i32)
   (f32.store (i32.const 8) (f32.reinterpret_i32 (local.get 0)))
   (i32.load (i32.const 8)))
 (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 (func (export "size") (result i32) (memory.size))
 (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
 (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
 (func (export "select") (param i32) (result i32) (select (i32.const 1) (i32.const 2) (local.get 0)))
)"""


@pytest.fixture(scope="module")
def prog() -> ModuleInstance:
    return load(PROGRAMS)


def test_programs(prog: ModuleInstance) -> None:
    assert run(prog, "fac", 20) == [2432902008176640000]
    assert run(prog, "sum", 100000) == [(100000 * 100001 // 2) & 0xFFFFFFFF]
    assert run(prog, "fib", 15) == [610]
    assert run(prog, "swap", 1, 2) == [2, 1]
    assert run(prog, "swap_twice", 1, 2) == [1, 2]
    assert run(prog, "old_value", 7) == [(7 - 100) & 0xFFFFFFFF]
    assert [run(prog, "switch", i)[0] for i in range(4)] == [13, 12, 10, 10]
    assert run(prog, "select", 0) == [2] and run(prog, "select", 5) == [1]


def test_arithmetic_traps(prog: ModuleInstance) -> None:
    with pytest.raises(Trap, match="integer divide by zero"):
        run(prog, "div", 1, 0)
    with pytest.raises(Trap, match="integer overflow"):
        run(prog, "div", 0x80000000, 0xFFFFFFFF)
    with pytest.raises(Trap, match="unreachable"):
        run(prog, "trap")


def test_memory_bounds_never_wrap(prog: ModuleInstance) -> None:
    run(prog, "store", 65532, 0xDEADBEEF)
    assert run(prog, "load", 65528) == [0xDEADBEEF]
    for addr in (65529, 65532, 0xFFFFFFFF, 0xFFFFFFFC):
        with pytest.raises(Trap, match="out of bounds memory access"):
            run(prog, "load", addr)
    with pytest.raises(Trap, match="out of bounds memory access"):
        run(prog, "store", 65533, 1)
    assert run(prog, "load", 65528) == [0xDEADBEEF]  # nothing half-written


def test_f32_nan_payloads_survive_memory(prog: ModuleInstance) -> None:
    for bits in (0x7FA00001, 0xFF800001, 0x7FC00000, 0x00000001):
        assert run(prog, "f32_roundtrip", bits) == [bits]
    assert f32_to_bits(f32_from_bits(0x7FA00001)) == 0x7FA00001


def test_memory_grow_and_bulk() -> None:
    inst = load("""(module (memory 1 3)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
      (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
      (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))""")
    assert run(inst, "grow", 1) == [1] and run(inst, "size") == [2]
    assert run(inst, "grow", 5) == [0xFFFFFFFF]
    run(inst, "fill", 131070, 0x1AB, 2)  # the new page is addressable
    assert run(inst, "load8", 131071) == [0xAB]
    run(inst, "copy", 0, 131070, 2)
    assert run(inst, "load8", 1) == [0xAB]
    with pytest.raises(Trap, match="out of bounds memory access"):
        run(inst, "fill", 131070, 0, 3)
    run(inst, "fill", 131072, 0, 0)  # zero bytes at the very end is fine


def test_call_indirect_traps() -> None:
    inst = load("""(module
      (type $v_i (func (result i32)))
      (table 3 funcref)
      (elem (i32.const 0) $one $other)
      (func $one (result i32) (i32.const 1))
      (func $other (param i32) (result i32) (local.get 0))
      (func (export "call") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0))))""")
    assert run(inst, "call", 0) == [1]
    with pytest.raises(Trap, match="indirect call type mismatch"):
        run(inst, "call", 1)
    with pytest.raises(Trap, match="uninitialized element"):
        run(inst, "call", 2)
    with pytest.raises(Trap, match="undefined element"):
        run(inst, "call", 3)


def test_host_functions_and_reentry() -> None:
    seen: List[Any] = []
    holder: List[ModuleInstance] = []

    def log(x: int) -> None:
        seen.append(x)

    def pair(x: int) -> Any:
        return (x + 1, x + 2)

    def reenter(x: int) -> int:
        return engine.call(holder[0].exports["double"], [x])[0] + 1

    i_i = syntax.FuncType((syntax.I32,), (syntax.I32,))
    imports = [
        HostFunction(syntax.FuncType((syntax.I32,), ()), log, "log"),
        HostFunction(syntax.FuncType((syntax.I32,), (syntax.I32, syntax.I32)), pair, "pair"),
        HostFunction(i_i, reenter, "reenter"),
    ]
    inst = load("""(module
      (import "env" "log" (func $log (param i32)))
      (import "env" "pair" (func $pair (param i32) (result i32 i32)))
      (import "env" "reenter" (func $reenter (param i32) (result i32)))
      (func (export "double") (param i32) (result i32) (i32.add (local.get 0) (local.get 0)))
      (func (export "go") (param i32) (result i32)
        (call $log (local.get 0))
        (i32.mul (call $pair (local.get 0)))
        (call $reenter)))""", imports)
    holder.append(inst)
    assert run(inst, "go", 3) == [(4 * 5) * 2 + 1]
    assert seen == [3]
    assert engine.call(imports[1], [1]) == [2, 3]


def test_call_indirect_of_host_and_wasm_functions_in_tier_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interp, "TIER", "0")
    pair = HostFunction(syntax.FuncType((syntax.I32,), (syntax.I32, syntax.I32)), lambda x: (x + 1, x * 2))
    inst = load("""(module
      (import "env" "pair" (func $pair (param i32) (result i32 i32)))
      (type $pair (func (param i32) (result i32 i32)))
      (table 2 funcref)
      (elem (i32.const 0) $pair $swap)
      (func $swap (param i32) (result i32 i32) (i32.const 7) (local.get 0))
      (func (export "go") (param i32 i32) (result i32)
        (call_indirect (type $pair) (local.get 1) (local.get 0))
        (i32.sub)))""", [pair])
    assert run(inst, "go", 0, 10) == [(11 - 20) & 0xFFFFFFFF]
    assert run(inst, "go", 1, 10) == [7 - 10 & 0xFFFFFFFF]


def test_tier_0_runs_forward_temporaries_and_delay_masks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Values passed between the ops of one tier-0 run in Python locals, some without
    their mask, give the results of the unfused ops (expected values worked out here)."""
    monkeypatch.setattr(interp, "TIER", "0")
    inst = load("""(module
      (memory 1)
      (func (export "wrap_chain") (param i32 i32) (result i32)
        (i32.add (i32.shl (i32.add (local.get 0) (local.get 1)) (i32.const 1)) (local.get 1)))
      (func (export "i64_chain") (param i64 i64) (result i32)
        (i32.wrap_i64 (i64.mul (i64.sub (local.get 0) (local.get 1)) (local.get 1))))
      (func (export "memory_chain") (param i32) (result i32)
        (i32.store (i32.add (local.get 0) (i32.const 4)) (i32.mul (local.get 0) (i32.const 3)))
        (i32.load (i32.sub (i32.add (local.get 0) (i32.const 8)) (i32.const 4))))
      (func (export "count") (param i32) (result i32) (local i32 i32)
        (loop $l
          (local.set 2 (i32.add (local.get 2) (i32.mul (local.get 1) (local.get 1))))
          (br_if $l (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0))))
        (local.get 2)))""")
    assert run(inst, "wrap_chain", 0xFFFFFFFF, 2) == [4]
    assert run(inst, "wrap_chain", 0x80000000, 0x80000000) == [0x80000000]
    assert run(inst, "i64_chain", 1, 3) == [((1 - 3) * 3) & 0xFFFFFFFF]
    assert run(inst, "memory_chain", 12) == [36]
    assert run(inst, "memory_chain", 0xFFFFFFFC) == [(0xFFFFFFFC * 3) & 0xFFFFFFFF]  # addresses wrap to 0
    with pytest.raises(Trap, match="out of bounds memory access"):
        run(inst, "memory_chain", 0xFFFFFFF0)
    assert run(inst, "count", 10) == [sum(i * i for i in range(10))]


@pytest.mark.parametrize("fuse_at", [1, 4, 10**9])
def test_tier_0_runs_op_by_op_then_fused(fuse_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run goes op by op before its closure is generated (``interp.FUSE_AT``): the
    same results before, across and after the switch, with a value carried out of
    a loop by a branch (its copies), memory, and a trap in the middle of a run."""
    monkeypatch.setattr(interp, "TIER", "0")
    monkeypatch.setattr(interp, "FUSE_AT", fuse_at)
    inst = load("""(module
      (memory 1)
      (func (export "carry") (param i32) (result i32) (local i32)
        (block (result i32)
          (loop
            (local.set 1 (i32.add (local.get 1) (i32.mul (local.get 0) (i32.const 3))))
            (i32.store (i32.const 16) (local.get 1))
            (br_if 1 (local.get 1) (i32.gt_u (local.get 1) (i32.const 100)))
            (local.set 0 (i32.add (local.get 0) (i32.const 1)))
            (br 0))
          (i32.const 0))
        (i32.add (i32.load (i32.const 16))))
      (func (export "poke") (param i32 i32) (result i32)
        (i32.store (local.get 0) (local.get 1))
        (i32.add (i32.load (local.get 0)) (i32.const 1))))""")
    for start in range(6):  # each call runs the loop's runs some more times
        total, x = 0, start
        while True:
            total += 3 * x
            if total > 100:
                break
            x += 1
        assert run(inst, "carry", start) == [2 * total]
    for _ in range(6):
        assert run(inst, "poke", 8, 41) == [42]
        with pytest.raises(Trap, match="out of bounds memory access"):
            run(inst, "poke", 65534, 1)


@pytest.mark.parametrize("tier, iterations, fused", [("0", 20, True), ("auto", 20, False), ("auto", 1000, False),
                                                    ("auto", 1030, True)])
def test_auto_fuses_runs_later(tier: str, iterations: int, fused: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """In auto mode a run goes op by op until its ``AUTO_FUSE_AT``-th execution, not
    ``FUSE_AT``'s: what runs often goes to tier 1 anyway, and the closures of runs
    executed up to a few hundred times were ~4% of QuickJS's cold start."""
    from wasmlite.engine import cache

    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")  # (no tier-1 code from earlier runs)
    cache.clear_memory()
    monkeypatch.setattr(interp, "TIER", tier)
    monkeypatch.setattr(interp, "SMALL_MODULE_BYTES", 0)  # (else auto starts a loop in tier 1)
    generated: List[int] = []
    real = interp._Loader.materialize
    monkeypatch.setattr(interp._Loader, "materialize", lambda *a: (generated.append(1), real(*a))[1])
    inst = load("""(module
      (func (export "sum") (param i32) (result i32) (local i32)
        (loop
          (local.set 1 (i32.add (local.get 1) (i32.mul (local.get 0) (i32.const 3))))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br_if 0 (local.get 0)))
        (local.get 1)))""")
    assert interp.FUSE_AT < 20 < 1000 < interp.AUTO_FUSE_AT < 1030
    assert run(inst, "sum", iterations) == [3 * iterations * (iterations + 1) // 2]
    assert isinstance(inst.exports["sum"].compiled, interp.Compiled)  # (still in tier 0)
    assert bool(generated) == fused


def test_tier_0_run_of_accesses_traps_where_the_failing_one_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run whose accesses share one guard (``interp._guarded``): a store, a byte
    store and a load out of bounds each trap, with the stores before done and those
    after not."""
    monkeypatch.setattr(interp, "TIER", "0")
    inst = load("""(module
      (memory 1)
      (func (export "chain") (param i32 i32)
        (i32.store8 (i32.const 0) (i32.const 7))
        (i32.store (local.get 1) (i32.add (local.get 0) (i32.const 1)))
        (i64.store8 (i32.add (local.get 1) (i32.const 4)) (i64.const 9))
        (i32.store (i32.const 8) (i32.load8_u (local.get 1)))
        (i32.store (i32.const 12) (i32.load offset=2 (local.get 1)))
        (i32.store8 (i32.const 16) (i32.const 5)))
      (func (export "clear") (memory.fill (i32.const 0) (i32.const 0) (i32.const 24)))
      (func (export "read") (param i32) (result i64) (i64.load (local.get 0))))""")
    for addr, at8, at16 in ((32, 0x00090A0B0000000E, 5), (65533, 0, 0), (65532, 0, 0), (65531, 0x0E, 0)):
        run(inst, "clear")
        if addr == 32:
            run(inst, "chain", 0x0A0B0C0D, addr)
        else:
            with pytest.raises(Trap, match="out of bounds memory access"):
                run(inst, "chain", 0x0A0B0C0D, addr)
        assert run(inst, "read", 0) == [7]
        assert run(inst, "read", 8) == [at8]
        assert run(inst, "read", 16) == [at16]
    assert run(inst, "read", 65528) == [0x090A0B0C0E000000]  # the stores of the last call before its trap


def test_deep_recursion_and_exhaustion(prog: ModuleInstance) -> None:
    assert run(prog, "depth", 10000) == [10000]
    for _ in range(2):
        with pytest.raises(Trap, match="call stack exhausted"):
            run(prog, "forever")
    assert run(prog, "depth", 10000) == [10000]  # still usable
    assert interp._depth == 0


def test_big_stack_thread_path(prog: ModuleInstance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "needs_big_stack", True)
    assert run(prog, "depth", 10000) == [10000]
    with pytest.raises(Trap, match="call stack exhausted"):
        run(prog, "forever")
    with pytest.raises(Trap, match="integer divide by zero"):
        run(prog, "div", 1, 0)


def test_recursion_limit_is_raised_not_lowered(prog: ModuleInstance) -> None:
    sys.setrecursionlimit(10 ** 6)
    try:
        run(prog, "fib", 2)
        assert sys.getrecursionlimit() == 10 ** 6
    finally:
        sys.setrecursionlimit(1000)
    run(prog, "fib", 2)
    assert sys.getrecursionlimit() >= interp.MAX_CALL_DEPTH


def test_translation_is_lazy() -> None:
    inst = load("""(module
      (func (export "plain") (result i32) (i32.const 42))
      (func (export "simd") (result i32) (i32x4.extract_lane 2 (v128.const i32x4 1 2 3 4))))""")
    plain, simd = inst.exports["plain"], inst.exports["simd"]
    assert isinstance(plain, WasmFunction) and plain.compiled is None
    assert engine.call(plain, []) == [42] and plain.compiled is not None
    assert simd.compiled is None
    assert engine.call(simd, []) == [3] and simd.compiled is not None


def test_tables_and_references() -> None:
    inst = load("""(module
      (table $t 2 10 funcref)
      (elem declare func $f)
      (func $f (result i32) (i32.const 7))
      (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $f) (local.get 0)))
      (func (export "size") (result i32) (table.size $t))
      (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
      (func (export "set") (param i32) (table.set $t (local.get 0) (ref.func $f)))
      (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.null func) (local.get 1))))""")
    assert run(inst, "is_null", 0) == [1]
    run(inst, "set", 1)
    assert run(inst, "is_null", 1) == [0]
    assert run(inst, "grow", 3) == [2] and run(inst, "size") == [5]
    assert run(inst, "is_null", 4) == [0]
    assert run(inst, "grow", 6) == [0xFFFFFFFF]
    run(inst, "fill", 1, 4)
    assert run(inst, "is_null", 4) == [1]
    with pytest.raises(Trap, match="out of bounds table access"):
        run(inst, "is_null", 5)
    with pytest.raises(Trap, match="out of bounds table access"):
        run(inst, "fill", 4, 2)


def test_globals() -> None:
    inst = load("""(module (global $g (mut i64) (i64.const -1))
      (func (export "bump") (result i64)
        (global.set $g (i64.add (global.get $g) (i64.const 1))) (global.get $g)))""")
    assert run(inst, "bump") == [0] and run(inst, "bump") == [1]


def test_a_host_function_returning_the_wrong_arity_is_an_embedder_error() -> None:
    two = HostFunction(syntax.FuncType((), (syntax.I32, syntax.I32)), lambda: 1, "two")
    inst = load("""(module (import "env" "two" (func $two (result i32 i32)))
      (func (export "f") (result i32) (i32.add (call $two))))""", [two])
    with pytest.raises(TypeError, match="returned 1 value"):
        run(inst, "f")
    with pytest.raises(TypeError):
        engine.call(two, [])


def test_generated_factories_with_the_same_helpers_share_their_globals() -> None:
    """One globals dict per set of helpers, not one per generated factory (tier 0
    generates about 1,400 of them for graphviz)."""
    from wasmlite.engine import interp

    add = interp._numeric_factory("i32.add", (False, False))
    sub = interp._numeric_factory("i32.sub", (False, True))
    h, g = add(2, 0, 1, -1), sub(2, 0, 3, -1)
    assert add is not sub and h.__code__ is not g.__code__ and h.__globals__ is g.__globals__
    regs = [5, 7, 0]
    assert h(regs) == -1 and regs[2] == 12
    assert g(regs) == -1 and regs[2] == 2


@pytest.mark.parametrize("fuse_at", [1, 10**9])
def test_tier_0_handlers_bind_operands_as_defaults(fuse_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """No closure cells in loaded tier-0 code (one defaults tuple per handler, not a cell
    per operand, for the garbage collector to walk), and every branch target in them
    linked to its handler (no instruction index left), op by op or fused."""
    monkeypatch.setattr(interp, "TIER", "0")
    monkeypatch.setattr(interp, "FUSE_AT", fuse_at)
    inst = load(PROGRAMS)
    test_programs(inst)
    assert run(inst, "store", 0, 5) == [] and run(inst, "load", 0) == [0]
    assert run(inst, "grow", 1) == [1] and run(inst, "size") == [2]
    run(inst, "fill", 0, 1, 8)
    run(inst, "copy", 16, 0, 8)
    handlers = [h for f in inst.funcs if isinstance(f.compiled, interp.Compiled)
                for h in f.compiled.code if h is not None and not isinstance(h, interp._STAND_INS)]
    handlers += [h.real or h.first for f in inst.funcs if isinstance(f.compiled, interp.Compiled)
                 for h in f.compiled.code if isinstance(h, interp._LazyRun) and h.runs]
    assert len(handlers) > 25
    for h in handlers:
        assert h.__closure__ is None, h.__code__.co_freevars
        linked = [h.__defaults__[i] for i in interp._slots(h)]
        assert (linked or h is interp._unreachable) and not any(isinstance(v, int) for v in linked)


def _tier_0_state(inst: ModuleInstance) -> List[Any]:
    """Everything the loaded tier-0 functions of ``inst`` reach (but dicts: globals)."""
    import gc

    seen, todo, out = set(), [f.compiled for f in inst.funcs if isinstance(f.compiled, interp.Compiled)], []
    while todo:
        o = todo.pop()
        if id(o) in seen or isinstance(o, (dict, type)) or type(o).__name__ == "module":
            continue
        seen.add(id(o))
        out.append(o)
        todo.extend(gc.get_referents(o))
    return out


@pytest.mark.parametrize("fuse_at", [1, 3, 10**9])
def test_tier_0_keeps_no_ir(fuse_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loaded tier-0 code holds no ``Instr``: a lazy run keeps its instructions packed
    until its closure is generated, and the function's IR goes once it is loaded
    (graphviz's tier 0 kept 54,658 instructions alive, 80 bytes each)."""
    from wasmlite.ir import Instr

    monkeypatch.setattr(interp, "TIER", "0")
    monkeypatch.setattr(interp, "FUSE_AT", fuse_at)
    inst = load(PROGRAMS)
    test_programs(inst)
    state = _tier_0_state(inst)
    assert fuse_at == 1 or any(isinstance(o, interp._LazyRun) for o in state)
    assert not [o for o in state if isinstance(o, Instr)]


SEGMENTS = """(module
 (func (export "f") (param $n i32) (param $odd i32) (result i32) (local $s i32)
   (loop $l
     (if (local.get $odd)
       (then (local.set $s (i32.add (local.get $s) (i32.mul (local.get $n) (i32.const 3)))))
       (else (local.set $s (i32.add (local.get $s) (local.get $n)))))
     (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
   (local.get $s))
 (func (export "g") (param $i i32) (result i32)
   (block (block (block
     (br_table 0 1 0 2 1 0 (local.get $i)))
     (return (i32.const 10)))
     (return (i32.const 11)))
   (i32.const 12)))"""


@pytest.mark.parametrize("tier", ["0", "auto"])
@pytest.mark.parametrize("metered", [False, True])
def test_code_is_loaded_a_segment_at_a_time(tier: str, metered: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A function's code is loaded from one branch target to the next at its first
    execution: what never runs stays packed in its stand-in, what runs is linked in
    wherever the stand-in was (by handlers, a loop header's counting closure, a
    metered function's fuel closures), so no call goes through it again."""
    class Plenty:
        def tick(self) -> int:
            return 10**9

    from wasmlite.engine import cache

    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")  # (no tier-1 code from earlier runs)
    cache.clear_memory()
    monkeypatch.setattr(interp, "TIER", tier)
    monkeypatch.setattr(interp, "SMALL_MODULE_BYTES", 0)  # (else auto starts a loop in tier 1)
    monkeypatch.setattr(interp, "_meter", Plenty())
    module = parse_module(SEGMENTS)
    validate_module(module)
    inst = instantiate(module, [], engine.call, metered)
    assert run(inst, "f", 4, 1) == [30]
    c = inst.exports["f"].compiled
    assert isinstance(c, interp.Compiled)
    assert [h for h in c.code if isinstance(h, interp._Segment) and h.real is None]  # the else arm
    assert run(inst, "f", 20, 0) == [210] and run(inst, "f", 20, 1) == [630]
    assert [run(inst, "g", i)[0] for i in range(7)] == [10, 11, 10, 12, 11, 10, 10]  # arms sharing targets

    def stale(x: Any) -> bool:
        return isinstance(x, interp._Segment) and x.real is not None

    def reached(h: Any) -> List[Any]:
        """What ``h`` goes on to: its linked handlers, or the handler a wrapper calls."""
        if isinstance(h, interp._LazyRun):
            return [h.first, h.real]
        if getattr(h, "__func__", None) is interp._run_via:  # a lazy run's, which handlers hold
            return [h.__self__]
        if h.__closure__:  # a counting or fuel closure
            return [h.__closure__[h.__code__.co_freevars.index("h")].cell_contents]
        return [y for i in interp._slots(h) for y in (h.__defaults__[i] if isinstance(h.__defaults__[i], tuple)
                                                         else (h.__defaults__[i],))]

    g = inst.exports["g"].compiled  # (auto: in tier 1 from its second call from the host)
    seen, todo = set(), [c.entry] + ([g.entry] if isinstance(g, interp.Compiled) else [])
    while todo:
        h = todo.pop()
        if h is None or id(h) in seen or isinstance(h, interp._Segment) and h.real is None:
            continue
        seen.add(id(h))
        assert not stale(h)
        todo.extend(reached(h))
    assert len(seen) > 3


@pytest.mark.parametrize("fuse_at", [3, 10**9])
def test_handlers_are_made_linked(fuse_at: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A segment's handlers and a lazy run's op-by-op chain are made with their
    successors and branch targets in place (``_handler``), not made and then linked
    again as a second function (``_link``, ~9k machine instructions a handler): only
    a copy stub or a fused run's closure is. The results stay right across loops,
    calls, a ``br_table`` and stand-ins loaded later."""
    monkeypatch.setattr(interp, "TIER", "0")
    monkeypatch.setattr(interp, "FUSE_AT", fuse_at)
    relinked: List[str] = []
    real = interp._link
    monkeypatch.setattr(interp, "_link", lambda h, resolve: (relinked.append(getattr(h, "__name__", "")),
                                                            real(h, resolve))[1])
    inst = load(SEGMENTS)
    assert run(inst, "f", 4, 1) == [30] and run(inst, "f", 20, 0) == [210] and run(inst, "f", 20, 1) == [630]
    assert [run(inst, "g", i)[0] for i in range(7)] == [10, 11, 10, 12, 11, 10, 10]
    assert set(relinked) <= {"h", "jump_copying_one"}  # (fused run closures are named h)
    assert bool(relinked) == (fuse_at == 3)


def test_handlers_go_to_a_lazy_run_through_a_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """What goes to a lazy run holds its ``via`` (a bound method), not the stand-in
    object, whose Python ``__call__`` CPython 3.11 calls without a method call's fast path:
    op by op it runs many times (QuickJS's start: ~77k); once fused, what went to it
    goes to its closure."""
    monkeypatch.setattr(interp, "TIER", "0")
    monkeypatch.setattr(interp, "FUSE_AT", 10**9)
    inst = load(SEGMENTS)
    assert run(inst, "f", 20, 1) == [630]
    c = inst.exports["f"].compiled
    runs = [h for h in c.code if isinstance(h, interp._LazyRun)]
    held = [v for h in c.code if h is not None and not isinstance(h, interp._STAND_INS)
            for i in interp._slots(h) for v in (h.__defaults__[i],)]
    assert runs and not [v for v in held if isinstance(v, interp._LazyRun)]
    assert {r.via for r in runs if r.runs} & set(held)
    monkeypatch.setattr(interp, "FUSE_AT", 30)  # (read when a function is loaded)
    inst = load(SEGMENTS)
    assert run(inst, "f", 20, 1) == [630] and run(inst, "f", 20, 1) == [630]  # fused in the second
    c = inst.exports["f"].compiled
    assert not [h for h in c.code if isinstance(h, interp._LazyRun) and h.runs]
    held = [v for h in c.code if h is not None and not isinstance(h, interp._STAND_INS)
            for i in interp._slots(h) for v in (h.__defaults__[i],)]
    assert not [v for v in held if getattr(v, "__func__", None) is interp._run_via and v.__self__.real is not None]


def test_packed_instructions_unpack_as_translated() -> None:
    """What a stand-in keeps of the IR (``_pack``: four fields an instruction, a
    branch's target and copies in place of its unused fields) gives the same
    instructions back."""
    from wasmlite.translate import translate_function

    fields = lambda code: [(i.op, i.d, i.a, i.imm, i.target, i.copies) for i in code]  # noqa: E731
    kinds = set()
    for wat in (PROGRAMS, SEGMENTS):
        inst = load(wat)
        for f in inst.funcs:
            code = translate_function(inst.module, f.index, interp._validator(inst)).code
            assert fields(interp._unpack(interp._pack(code, interp._branch_targets(code)[2]))) == fields(code)
            kinds.update((i.op, bool(i.copies)) for i in code if i.is_branch())
    assert {("br", True), ("br", False), ("br_if", False), ("br_table", False), ("br_if.i32.gt_u", False)} <= kinds


def test_run_shapes_share_their_parts() -> None:
    """The run factories' keys, kept for good, share their equal (op, operand kinds)
    pairs (graphviz: 10,263 in 1,677 keys, 1,043 distinct)."""
    def fresh(*ops: str) -> Any:
        return tuple((op, tuple([False, True])) for op in ops)

    first, second = fresh("i32.add", "i32.xor"), fresh("i32.add", "i32.or")
    assert interp._run_factory(first) is not interp._run_factory(second)
    stored = {k: k for k in interp._RUN_FACTORIES}
    assert stored[first][0] is stored[second][0]


def test_handlers_unlinked_from_counting_closures_follow_their_loop_heads(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the budget runs out, handlers that went to a loop header's counting
    closure go to the header itself; one not loaded yet takes note of them, so they
    go to its code once it loads (not through its stand-in)."""
    from wasmlite.engine import cache

    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    cache.clear_memory()
    monkeypatch.setattr(interp, "TIER", "auto")
    monkeypatch.setattr(interp, "SMALL_MODULE_BYTES", 0)
    monkeypatch.setattr(interp, "HOT_CALLS", 2)  # (the budget runs out at loop $a's fifth iteration)
    monkeypatch.setattr(interp, "SIZE_COST", 0)
    inst = load("""(module
     (func $ge (param i32 i32) (result i32) (i32.ge_u (local.get 0) (local.get 1)))
     (func (export "h") (param $n i32) (result i32) (local $s i32)
      (block $x (loop $a
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br_if $x (call $ge (local.get $s) (local.get $n)))  ;; a handler of its own, linked to $b's counter
        (br $a)))
      (loop $b
        (local.set $s (i32.add (local.get $s) (i32.const 3)))
        (br_if $b (i32.lt_u (local.get $s) (i32.const 100))))
      (local.get $s)))""")
    assert run(inst, "h", 10) == [100]
    c = inst.exports["h"].compiled
    assert isinstance(c, interp.Compiled) and c.budget < 0
    linked = [v for h in c.code if h is not None and not isinstance(h, interp._STAND_INS)
              for i in interp._slots(h) for v in (h.__defaults__[i],)]
    assert linked and not [v for v in linked if isinstance(v, interp._STAND_INS) and v.real is not None]


def test_a_segment_that_fails_to_load_loads_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a segment can fail half way (the stack's limit, deep in a recursion):
    its stand-in stays where it was, so what links to it later (here the else arm,
    first run after the failure) gets the stand-in, which loads it again, and not a
    handler left half linked (an instruction index where its successor should be)."""
    monkeypatch.setattr(interp, "TIER", "0")
    calls = [0]
    handler = interp._handler

    def failing_once(packed: Any, k: int, *args: Any) -> Any:
        if packed[k] == "call":
            calls[0] += 1
            if calls[0] == 2:  # the second call of the code after the if
                raise RecursionError("maximum recursion depth exceeded")
        return handler(packed, k, *args)

    monkeypatch.setattr(interp, "_handler", failing_once)
    inst = load("""(module
     (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
     (func (export "f") (param $p i32) (result i32) (local $x i32)
      (if (local.get $p) (then (local.set $x (i32.const 7))) (else (local.set $x (i32.const 9))))
      (call $inc (call $inc (local.get $x)))))""")
    with pytest.raises(Trap, match="call stack exhausted"):  # (what the engine makes of it)
        run(inst, "f", 1)
    assert run(inst, "f", 0) == [11] and run(inst, "f", 1) == [9]


def test_a_handler_made_during_a_call_is_linked_as_a_new_function() -> None:
    """Handlers are made while code runs (a segment's, a lazy run's, their copy stubs)
    and get their linked successors in a new function: PyPy's JIT may run a function
    made in the same trace with the defaults it was made with, after they were changed."""
    def target(regs: list) -> None:
        return None

    stand_in = interp._Segment(None, 0, ())  # type: ignore[arg-type]
    resolved = {7: target, 8: stand_in}
    made = interp._br_if(0, 8, 7)
    before = made.__defaults__  # type: ignore[attr-defined]
    linked = interp._link(made, resolved.__getitem__)
    assert linked is not made and made.__defaults__ == before  # type: ignore[attr-defined]
    assert linked([0]) is target and linked([1]) is stand_in
    assert stand_in.linked is linked
