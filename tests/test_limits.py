"""Store limits: fuel (cost model, refuelling, the same in every tier), interruption
and timeouts, the memory cap, the call depth; and that unlimited code has no checks."""

from __future__ import annotations

import threading

import pytest

from wasmlite import FuncType, LinkError, Linker, Memory, MemoryType, Module, Store, Trap, TrapCode, ValType, WasmError
from wasmlite.engine import cache, codegen, interp

WAT = """(module
  (memory (export "mem") 1)
  (func $count (export "count") (param i32) (result i32) (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $nested (export "nested") (param i32) (result i32) (local $i i32) (local $j i32)
    (loop $outer (loop $inner
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $inner (i32.and (local.get $j) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get 0)))))
    (local.get $j))
  (func (export "spin") (loop $l (br $l)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"""


def calls_of_fib(n: int) -> int:
    return 1 if n < 2 else 1 + calls_of_fib(n - 1) + calls_of_fib(n - 2)


@pytest.fixture(params=["0", "1", "auto", "dispatch"])
def tier(request, monkeypatch):
    """Tier 0, tier 1 (structured), auto tier-up, and tier 1's basic-block fallback."""
    if request.param == "dispatch":
        monkeypatch.setattr(codegen, "MAX_LOOPS", 0)  # any loop is too deep: the fallback
        monkeypatch.setattr(cache, "_memory", {})  # nothing compiled the structured way
        monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    if request.param == "auto":
        monkeypatch.setattr(interp, "SMALL_MODULE_BYTES", 0)  # loops start in tier 0 and count
    monkeypatch.setattr(interp, "TIER", "1" if request.param == "dispatch" else request.param)
    return request.param


def spent(store: Store, call) -> int:
    before = store.get_fuel()
    call()
    return before - store.get_fuel()


def test_cost_model_is_the_same_in_every_tier(tier) -> None:
    """One unit per call, one per arrival at a loop head; tier-up (auto, after a few
    hundred calls) changes nothing."""
    store = Store(fuel=10**9)
    exports = Linker().instantiate(store, Module(WAT)).exports
    if tier == "dispatch":
        exports.count(1)
        assert exports.count._function.compiled.gen.scheme == "dispatch"
    for _ in range(3 if tier != "auto" else 300):
        assert spent(store, lambda: exports.count(100)) == 1 + 101  # the exit test runs at the head
        assert spent(store, lambda: exports.fib(10)) == calls_of_fib(10)
        assert spent(store, lambda: exports.nested(5)) == 1 + 10  # two loops at one head: one unit


def test_out_of_fuel_then_refuel(tier) -> None:
    store = Store(fuel=50)
    exports = Linker().instantiate(store, WAT).exports
    with pytest.raises(Trap) as info:
        exports.count(1000)
    assert info.value.code is TrapCode.OUT_OF_FUEL and str(info.value) == "all fuel consumed"
    assert info.value.frames and info.value.frames[0].name == "count"
    assert store.get_fuel() == 0
    store.add_fuel(200)
    assert exports.count(100) == 100 and store.get_fuel() == 200 - 102
    store.set_fuel(5)
    with pytest.raises(Trap):
        exports.spin()
    store.set_fuel(1000)
    assert exports.fib(5) == 5


def test_exactly_enough_fuel(tier) -> None:
    store = Store(fuel=102)
    exports = Linker().instantiate(store, WAT).exports
    assert exports.count(100) == 100 and store.get_fuel() == 0
    store.set_fuel(101)
    with pytest.raises(Trap):
        exports.count(100)


def test_fuel_seen_and_added_by_a_host_function(tier) -> None:
    store = Store(fuel=1000, interruptible=True)  # fuel checked in slices as well
    seen = []

    def host(x: int) -> int:
        seen.append(store.get_fuel())
        store.add_fuel(1)
        return x

    linker = Linker()
    linker.define_func("env", "h", None, host)
    exports = linker.instantiate(store, """(module (import "env" "h" (func $h (param i32) (result i32)))
        (func (export "f") (result i32) (call $h (call $h (i32.const 3)))))""").exports
    assert exports.f() == 3
    assert seen == [999, 1000] and store.get_fuel() == 1001


def test_fuel_must_be_enabled() -> None:
    with pytest.raises(WasmError):
        Store().get_fuel()
    with pytest.raises(ValueError):
        Store(fuel=-1)
    with pytest.raises(ValueError):
        Store(fuel=5).add_fuel(-1)


def test_interrupt_from_another_thread(tier) -> None:
    store = Store(interruptible=True)
    exports = Linker().instantiate(store, WAT).exports
    timer = threading.Timer(0.2, store.interrupt)
    timer.start()
    with pytest.raises(Trap) as info:
        exports.spin()
    timer.join()
    assert info.value.code is TrapCode.INTERRUPT
    assert exports.fib(10) == 55  # the interruption was consumed by its trap
    store.interrupt()  # before a call: the next call stops
    with pytest.raises(Trap):
        exports.spin()
    with pytest.raises(WasmError):
        Store().interrupt()


def test_timeout(tier) -> None:
    store = Store(timeout=0.1)
    exports = Linker().instantiate(store, WAT).exports
    with pytest.raises(Trap) as info:
        exports.spin()
    assert info.value.code is TrapCode.INTERRUPT and "timeout" in str(info.value)
    assert exports.count(10) == 10  # each call has its own deadline


def test_max_call_depth(tier) -> None:
    store = Store(max_call_depth=50)
    exports = Linker().instantiate(store, WAT).exports
    with pytest.raises(Trap) as info:
        exports.fib(60)  # recursion 60 deep
    assert info.value.code is TrapCode.STACK_OVERFLOW
    assert exports.fib(20) == 6765  # 20 deep is fine, and the store works after the trap
    assert interp.MAX_CALL_DEPTH == 12000  # restored after each call


def test_memory_cap() -> None:
    page = 65536
    store = Store(max_memory=3 * page)
    exports = Linker().instantiate(store, WAT).exports
    assert exports.grow(2) == 1 and exports.grow(1) == -1 and store.memory_used() == 3 * page
    with pytest.raises(LinkError):  # one more page: over the cap before anything is allocated
        Linker().instantiate(store, WAT)
    with pytest.raises(WasmError):
        exports.mem.grow(1)
    small = Store(max_memory=2 * page)
    mem = Memory(small, MemoryType(1))
    assert mem.grow(1) == 1
    with pytest.raises(WasmError):
        mem.grow(1)
    with pytest.raises(LinkError):
        Linker().instantiate(small, WAT)


def test_stores_meter_separately(tier) -> None:
    """A host function of one store calling into another: each spends its own fuel."""
    a, b = Store(fuel=1000), Store(fuel=1000)
    inner = Linker().instantiate(b, WAT).exports
    linker = Linker()
    linker.define_func("env", "h", FuncType([ValType.i32()], [ValType.i32()]), lambda n: inner.count(n))
    outer = linker.instantiate(a, """(module (import "env" "h" (func $h (param i32) (result i32)))
        (func (export "f") (param i32) (result i32) (call $h (local.get 0))))""").exports
    assert outer.f(10) == 10
    assert a.get_fuel() == 1000 - 1 and b.get_fuel() == 1000 - 12


def test_unlimited_code_has_no_checks(monkeypatch) -> None:
    """The same function compiled for an unlimited and a metered store: only the
    metered one spends fuel, and the two are cached under different keys."""
    monkeypatch.setattr(interp, "TIER", "1")
    free = Linker().instantiate(Store(), WAT).exports
    metered = Linker().instantiate(Store(fuel=10**6), WAT).exports
    assert free.count(5) == metered.count(5) == 5
    free_fn, metered_fn = free.count._function.compiled.fn, metered.count._function.compiled.fn
    assert "_fuel" not in free_fn.__code__.co_names and "_fuel" in metered_fn.__code__.co_names
    keys = [k for k in cache._memory if k[1] == free.count._function.index]
    assert len({k[0] for k in keys}) >= 2 and any(k[0].endswith("+fuel") for k in keys)


def test_tier0_unlimited_has_no_fuel_closures(monkeypatch) -> None:
    monkeypatch.setattr(interp, "TIER", "0")
    free = Linker().instantiate(Store(), WAT).exports
    metered = Linker().instantiate(Store(fuel=10**6), WAT).exports
    free.count(3)
    metered.count(3)
    c_free, c_metered = free.count._function.compiled, metered.count._function.compiled
    names = lambda c: {h.__code__.co_name for h in c.code if hasattr(h, "__code__")} | {c.entry.__code__.co_name}  # noqa: E731
    assert "g" not in names(c_free) and "g" in names(c_metered)


SPEC_FILES = ["block", "br", "br_if", "br_table", "call", "call_indirect", "fac", "if", "loop",
              "return", "switch", "memory_grow", "left-to-right", "unwind"]


@pytest.mark.parametrize("tier_name", ["0", "1"])
def test_metered_code_passes_spec_scripts(tier_name: str, monkeypatch) -> None:
    """Metered code means what unmetered code means: the control-flow-heavy spec
    scripts, every instance metered (with fuel to spare)."""
    import io
    import os

    from conftest import TESTSUITE
    from wasmlite.runtime import objects
    from wasmlite.wast_runner import run_files

    class Plenty:
        def tick(self) -> int:
            return 10**12

    original = objects.ModuleInstance.__init__

    def metered_init(self, module, metered=False):  # type: ignore[no-untyped-def]
        original(self, module, True)

    monkeypatch.setattr(objects.ModuleInstance, "__init__", metered_init)
    monkeypatch.setattr(interp, "TIER", tier_name)
    monkeypatch.setattr(interp, "_meter", Plenty())
    monkeypatch.setattr(interp, "_fuel", 10**12)
    paths = [os.path.join(TESTSUITE, "wasm-2.0", f + ".wast") for f in SPEC_FILES]
    passed, failed, skipped = run_files(paths, out=io.StringIO())
    assert (failed, skipped) == (0, 0) and passed > 1000
    assert interp._fuel < 10**12  # the checks ran


def test_reentry_spends_from_the_same_fuel(tier) -> None:
    """wasm -> host -> the same store's wasm: one account, nothing lost or doubled."""
    store = Store(fuel=1000)
    exports = []
    linker = Linker()
    linker.define_func("env", "h", FuncType([ValType.i32()], [ValType.i32()]), lambda n: exports[0].count(n))
    inst = linker.instantiate(store, WAT.replace("(module\n", '''(module
        (import "env" "h" (func $h (param i32) (result i32)))
        (func (export "via_host") (param i32) (result i32) (call $h (local.get 0)))''', 1))
    exports.append(inst.exports)
    assert inst.exports.via_host(10) == 10
    assert store.get_fuel() == 1000 - 1 - 12
    store.set_fuel(5)
    with pytest.raises(Trap) as info:
        inst.exports.via_host(10)  # runs out inside the nested call
    assert info.value.code is TrapCode.OUT_OF_FUEL and store.get_fuel() == 0


SWITCH_LOOP = """(module
  (func (export "run") (param $n i32) (result i32) (local $pc i32) (local $acc i32)
    (loop $next
      (block $tail
       (block $c3
        (block $c2
         (block $c1
          (block $c0
            (br_table $c0 $c1 $c2 $c3 (i32.and (local.get $pc) (i32.const 3))))
          (local.set $acc (i32.add (local.get $acc) (i32.const 1))) (br $tail))
         (local.set $acc (i32.add (local.get $acc) (i32.const 2))) (br $tail))
        (local.set $acc (i32.add (local.get $acc) (i32.const 3))) (br $tail))
       (local.set $acc (i32.add (local.get $acc) (i32.const 4))))
      (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $pc) (local.get $n))))
    (local.get $acc)))"""


@pytest.mark.parametrize("tier_name", ["0", "1"])
def test_fuel_of_a_loop_laid_out_as_a_switch(tier_name: str, monkeypatch) -> None:
    """Tier 1 lays a loop around a C-style switch out flat (one Python loop over a
    segment variable); its head still costs one unit per iteration."""
    monkeypatch.setattr(interp, "TIER", tier_name)
    monkeypatch.setattr(cache, "_memory", {})
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    store = Store(fuel=10**6)
    run = Linker().instantiate(store, SWITCH_LOOP).exports.run
    assert run(10) == 23 and store.get_fuel() == 10**6 - 11
    if tier_name == "1":
        assert "s0 = " in run._function.compiled.gen.source  # the switch layout was used
