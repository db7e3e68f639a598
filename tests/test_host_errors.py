"""Engine level: what a host function raises comes out of ``engine.call`` unchanged,
in both tiers, even the exceptions the engine uses itself (``struct.error`` for
tier 1's memory accesses, ``RecursionError`` for deep recursion)."""

from __future__ import annotations

import struct

import pytest

from wasmlite import Trap, engine, syntax
from wasmlite.engine import interp
from wasmlite.runtime import HostFunction
from wasmlite.runtime.instantiate import instantiate
from wasmlite.text import parse_module
from wasmlite.validate import validate_module

WAT = """(module (import "env" "h" (func $h (param i32) (result i32))) (memory 1)
  (func (export "f") (param i32) (result i32) (i32.load (call $h (local.get 0)))))"""


def run(fn, tier: str, monkeypatch) -> int:
    monkeypatch.setattr(interp, "TIER", tier)
    module = parse_module(WAT)
    validate_module(module)
    h = HostFunction(syntax.FuncType((syntax.I32,), (syntax.I32,)), fn)
    inst = instantiate(module, [h], engine.call)
    return engine.call(inst.exports["f"], [4])[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("tier", ["0", "1"])
@pytest.mark.parametrize("error", [struct.error("host's own"), RecursionError("host's own"), ValueError("v")])
def test_host_exception_unchanged(tier: str, error: BaseException, monkeypatch) -> None:
    def h(x: int) -> int:
        raise error

    with pytest.raises(type(error)) as info:
        run(h, tier, monkeypatch)
    assert info.value is error


@pytest.mark.parametrize("tier", ["0", "1"])
def test_real_out_of_bounds_is_still_a_trap(tier: str, monkeypatch) -> None:
    from wasmlite import Trap, TrapCode

    with pytest.raises(Trap) as info:
        run(lambda x: 65535, tier, monkeypatch)
    assert info.value.code is TrapCode.MEMORY_OUT_OF_BOUNDS


def test_a_null_reference_result() -> None:
    """One reference result of None is a null, not "no results"."""
    h = HostFunction(syntax.FuncType((), (syntax.EXTERNREF,)), lambda: None)
    assert interp.call_host(h, []) == [None]


def instance(wat: str, hosts: list, tier: str, monkeypatch) -> object:
    monkeypatch.setattr(interp, "TIER", tier)
    module = parse_module(wat)
    validate_module(module)
    return instantiate(module, hosts, engine.call)


RESULTS = """(module (import "env" "none" (func $none))
  (import "env" "one" (func $one (result i32)))
  (import "env" "two" (func $two (result i32 i32)))
  (func (export "none") (call $none))
  (func (export "one") (result i32) (call $one))
  (func (export "two") (result i32 i32) (call $two)))"""


@pytest.mark.parametrize("tier", ["0", "1"])
@pytest.mark.parametrize("name, returned, expected", [
    ("none", None, []), ("none", (), []), ("none", [], []),
    ("one", 5, [5]), ("one", (5,), [5]), ("one", [5], [5]),
    ("two", (5, 6), [5, 6]), ("two", [5, 6], [5, 6]),
    ("none", 5, TypeError), ("none", (5,), TypeError), ("one", (), TypeError), ("one", (5, 6), TypeError),
    ("two", 5, TypeError), ("two", None, TypeError), ("two", (5,), TypeError),
])
def test_host_results_in_every_shape(tier: str, name: str, returned, expected, monkeypatch) -> None:
    """Host functions built without a ``direct`` entry (as WASI's are): tier 1 makes one,
    which accepts and rejects what tier 0's ``call_host`` does."""
    types = {"none": (), "one": (syntax.I32,), "two": (syntax.I32, syntax.I32)}
    hosts = [HostFunction(syntax.FuncType((), types[n]), lambda: returned, n) for n in ("none", "one", "two")]
    inst = instance(RESULTS, hosts, tier, monkeypatch)
    if expected is TypeError:
        with pytest.raises(TypeError, match="returned"):
            engine.call(inst.exports[name], [])
    else:
        assert engine.call(inst.exports[name], []) == expected


REENTER = """(module (import "env" "host" (func $host (param i32) (result i32)))
  (import "env" "fail" (func $fail (param i32) (result i32)))
  (memory 1)
  (func (export "outer") (param i32) (result i32) (i32.add (call $host (local.get 0)) (i32.const 1)))
  (func (export "inner") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (call $fail (i32.const 0)))
      (else (i32.load (local.get 0))))))"""


@pytest.mark.parametrize("tier", ["0", "1"])
def test_wasm_called_back_from_a_host_function(tier: str, monkeypatch) -> None:
    """A host function that wasm called calls wasm again (``engine.call`` at depth 1:
    straight into tier-1 code when the callee has some): results, a host exception
    raised under it, a trap in it, recursion through the host."""
    error = ValueError("host's own")
    hosts: list = []
    holder: list = []

    def host(x: int) -> int:
        if 1000 <= x < 2000:  # recurse through the host
            return engine.call(holder[0].exports["outer"], [x - 1])[0]
        return engine.call(holder[0].exports["inner"], [x])[0] * 2

    def fail(x: int) -> int:
        raise error

    hosts = [HostFunction(syntax.FuncType((syntax.I32,), (syntax.I32,)), host, "host"),
             HostFunction(syntax.FuncType((syntax.I32,), (syntax.I32,)), fail, "fail")]
    inst = instance(REENTER, hosts, tier, monkeypatch)
    holder.append(inst)
    assert engine.call(inst.exports["outer"], [4]) == [1]  # memory at 4 is 0
    with pytest.raises(ValueError) as info:
        engine.call(inst.exports["outer"], [0])
    assert info.value is error
    with pytest.raises(Trap, match="out of bounds memory access"):
        engine.call(inst.exports["outer"], [65535])
    assert engine.call(inst.exports["outer"], [1100]) == [102]
    assert interp._depth == 0
