"""The call-depth limit ("call stack exhausted") is the same wherever the frames run:
tier 1 counts depth in an argument of every call, tier 0 in ``interp._depth``, and
calls between the tiers, through ``call_indirect`` and through host functions
(which call back into wasm) hand the count over exactly."""

from __future__ import annotations

import sys
from typing import Any, Callable, List

import pytest

from conftest import to_tier1
from wasmlite import FuncType, Linker, Store, ValType, engine, syntax
from wasmlite.engine import cache, codegen, interp
from wasmlite.errors import Trap
from wasmlite.runtime import HostFunction, ModuleInstance
from wasmlite.runtime.instantiate import instantiate
from wasmlite.text import parse_module
from wasmlite.validate import validate_module

DEFAULT_LIMIT = interp.MAX_CALL_DEPTH
LIMIT = 300
"""``MAX_CALL_DEPTH`` in these tests: past 256, where depths stop being cached ints."""

# ``mixed(n)`` takes n + 1 wasm frames (one per level, host frames in between count
# nothing); level n calls the next one directly, through the table, through the
# imported host function, or through the table to the host function, by n % 4.
WAT = """(module
 (import "env" "host" (func $host (param i32) (result i32)))
 (type $t (func (param i32) (result i32)))
 (table 2 funcref)
 (elem (i32.const 0) $mixed $host)
 (func $mixed (export "mixed") (param i32) (result i32) (local $k i32)
   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
     (else
       (local.set $k (i32.rem_u (local.get 0) (i32.const 4)))
       (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
       (i32.add (i32.const 1)
         (if (result i32) (i32.eqz (local.get $k))
           (then (call $mixed (local.get 0)))
           (else (if (result i32) (i32.eq (local.get $k) (i32.const 1))
             (then (call_indirect (type $t) (local.get 0) (i32.const 0)))
             (else (if (result i32) (i32.eq (local.get $k) (i32.const 2))
               (then (call $host (local.get 0)))
               (else (call_indirect (type $t) (local.get 0) (i32.const 1))))))))))))
 (func $leaf (export "leaf") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
 (func $forever (export "forever") (call $forever)))"""


@pytest.fixture(autouse=True)
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    monkeypatch.setattr(interp, "MAX_CALL_DEPTH", LIMIT)
    monkeypatch.setattr(interp, "SMALL_MODULE_BYTES", 0)  # auto: no function starts in tier 1
    cache.clear_memory()


def _set_tier(tier: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interp, "TIER", tier)
    monkeypatch.setattr(interp, "HOT_CALLS", 50)  # auto: tiers up in the middle of a deep call


def _engine_program(tier: str) -> Callable[[int], Any]:
    """``mixed`` through the engine, its host function without ``direct``."""
    box: List[ModuleInstance] = []

    def host(n: int) -> int:
        return engine.call(box[0].exports["mixed"], [n])[0]  # type: ignore[no-any-return]

    module = parse_module(WAT)
    validate_module(module)
    i_i = syntax.FuncType((syntax.I32,), (syntax.I32,))
    inst = instantiate(module, [HostFunction(i_i, host, "host")], engine.call)
    box.append(inst)
    if tier == "1":
        to_tier1(inst)
    return lambda n: engine.call(inst.exports["mixed"], [n])[0]


def _api_program(tier: str) -> Callable[[int], Any]:
    """``mixed`` through the embedding API, its host function's ``direct`` generated."""
    box: List[Any] = []
    linker = Linker()
    linker.define_func("env", "host", FuncType([ValType.i32()], [ValType.i32()]), lambda n: box[0].mixed(n))
    exports = linker.instantiate(Store(), WAT).exports
    box.append(exports)
    return exports.mixed  # type: ignore[no-any-return]


def _outcome(run: Callable[[int], Any], n: int) -> Any:
    try:
        return run(n)
    except Trap as t:
        return str(t), len(t.frames), {f.func_index for f in t.frames}


@pytest.mark.parametrize("make", [_engine_program, _api_program])
@pytest.mark.parametrize("tier", ["0", "1", "auto", "1-dispatch"])
def test_limit_through_indirect_and_host_calls(tier: str, make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if tier == "1-dispatch":  # tier 1's other control-flow scheme (a call's try/finally inside its loop)
        monkeypatch.setattr(codegen, "MAX_NESTING", -1)
        tier = "1"
    _set_tier(tier, monkeypatch)
    run = make(tier)
    for n in (10, LIMIT - 1, LIMIT, LIMIT - 1, 3 * LIMIT, LIMIT - 1):  # a trap leaves nothing behind
        expected = n if n < LIMIT else ("call stack exhausted", LIMIT, {1})
        assert _outcome(run, n) == expected, n
        assert interp._depth == 0
    assert interp.MAX_CALL_DEPTH == LIMIT


@pytest.mark.parametrize("tier", ["0", "1", "auto"])
def test_host_that_catches_the_trap(tier: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A host function that catches a trap of its call back into wasm and returns: the
    wasm frames outside it go on counting from where they were."""
    _set_tier(tier, monkeypatch)
    box: List[Any] = []
    caught: List[int] = []

    def host(n: int) -> int:
        try:
            box[0].forever()
        except Trap:
            caught.append(n)
        return box[0].mixed(n)  # type: ignore[no-any-return]

    linker = Linker()
    linker.define_func("env", "host", FuncType([ValType.i32()], [ValType.i32()]), host)
    exports = linker.instantiate(Store(), WAT).exports
    box.append(exports)
    assert exports.mixed(LIMIT - 1) == LIMIT - 1
    assert caught and interp._depth == 0
    with pytest.raises(Trap, match="call stack exhausted"):
        exports.mixed(LIMIT)
    assert interp._depth == 0


@pytest.mark.parametrize("tier", ["0", "1"])
def test_callers_outside_count(tier: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tier-1 function called from outside starts at the depth already reached
    (``interp._depth``): a leaf at the limit's last frame runs, one past it traps."""
    _set_tier(tier, monkeypatch)
    module = parse_module(WAT)
    validate_module(module)
    i_i = syntax.FuncType((syntax.I32,), (syntax.I32,))
    inst = instantiate(module, [HostFunction(i_i, lambda n: n, "host")], engine.call)
    if tier == "1":
        to_tier1(inst)
    for depth, trapped in ((LIMIT - 1, False), (LIMIT, True)):
        monkeypatch.setattr(interp, "_depth", depth)
        try:
            assert engine.call(inst.exports["leaf"], [1]) == [2]
            assert not trapped
        except Trap as t:
            assert trapped and str(t) == "call stack exhausted"
        assert interp._depth == depth


@pytest.mark.parametrize("tier", ["0", "1", "auto"])
def test_unbounded_recursion_through_the_host(tier: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """wasm -> host -> wasm -> ... without end, at the real depth limit: host frames
    count nothing, so Python's stack may run out first (its ``RecursionError``
    inside a host function); either way the result is the exhaustion trap, and the
    depth is back to 0."""
    _set_tier(tier, monkeypatch)
    monkeypatch.setattr(interp, "MAX_CALL_DEPTH", DEFAULT_LIMIT)
    box: List[Any] = []
    linker = Linker()
    linker.define_func("env", "h", FuncType([ValType.i32()], [ValType.i32()]), lambda n: box[0].f(n + 1))
    exports = linker.instantiate(Store(), """(module (import "env" "h" (func $h (param i32) (result i32)))
      (func (export "f") (param i32) (result i32) (call $h (local.get 0))))""").exports
    box.append(exports)
    with pytest.raises(Trap, match="call stack exhausted"):
        exports.f(0)
    assert interp._depth == 0


@pytest.mark.parametrize("tier", ["0", "1", "auto"])
def test_host_recursing_on_its_own(tier: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A host function whose own recursion runs out of stack, called from shallow
    wasm: its ``RecursionError`` is its own, and comes out unchanged."""
    _set_tier(tier, monkeypatch)

    def h(n: int) -> int:
        return h(n + 1)

    linker = Linker()
    linker.define_func("env", "h", FuncType([ValType.i32()], [ValType.i32()]), h)
    exports = linker.instantiate(Store(), """(module (import "env" "h" (func $h (param i32) (result i32)))
      (func (export "f") (param i32) (result i32) (call $h (local.get 0))))""").exports
    with pytest.raises(RecursionError):
        exports.f(0)
    assert interp._depth == 0


def test_outermost_call_leaves_no_depth_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever escapes an outermost call, ``_depth`` is 0 after it (a count left
    behind would make every later call pass for a nested one)."""
    def leaky(func: Any, args: List[Any]) -> List[Any]:
        interp._depth = 3
        raise Trap(interp.EXHAUSTED)

    monkeypatch.setattr(interp, "_depth", 0)
    monkeypatch.setattr(engine, "_call", leaky)
    monkeypatch.setattr(engine.stack, "run_outermost", lambda run, *a: run(*a))
    with pytest.raises(Trap):
        engine.call_carrying(None, [])  # type: ignore[arg-type]
    assert interp._depth == 0


def test_exhaustion_trap_made_outside_any_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    """``host_failure`` makes the exhaustion trap after its probe's ``except`` block:
    made inside it, PyPy records the RecursionError as the trap's context, which can
    itself fail at the stack's limit (a TypeError in place of the trap)."""
    def out_of_stack(n: int) -> None:
        raise RecursionError

    made_in: List[Any] = []

    class Recording(Trap):
        def __init__(self, message: str) -> None:
            made_in.append(sys.exc_info()[0])
            super().__init__(message)

    monkeypatch.setattr(interp, "_probe", out_of_stack)
    monkeypatch.setattr(interp, "Trap", Recording)
    trap = interp.host_failure(RecursionError())
    assert isinstance(trap, Trap) and str(trap) == "call stack exhausted"
    assert made_in == [None]
