"""Engine level: what a host function raises comes out of ``engine.call`` unchanged,
in both tiers, even the exceptions the engine uses itself (``struct.error`` for
tier 1's memory accesses, ``RecursionError`` for deep recursion)."""

from __future__ import annotations

import struct

import pytest

from wasmlite import engine, syntax
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
