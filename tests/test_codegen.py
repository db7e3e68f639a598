"""Tests of tier 1 (``engine.codegen``, ``engine.cache``): generated Python agrees with
tier 0, both control-flow schemes, CPython's limits (deep nesting, huge functions,
huge ``br_table``), recursion, cross-tier calls, tier-up and the disk cache."""

from __future__ import annotations

import os
import random
import re
import struct
from typing import Any, List, Tuple

import pytest

from conftest import to_tier1
from wasmlite import engine, numeric, syntax
from wasmlite.engine import cache, codegen, interp
from wasmlite.engine.memory_ops import LOADS, STORES, VIEW_ACCESSES
from wasmlite.errors import Trap
from wasmlite.numeric import NUMERIC, i64_of, ranges
from wasmlite.runtime import HostFunction, ModuleInstance
from wasmlite.runtime.instantiate import instantiate
from wasmlite.text import parse_module
from wasmlite.validate import validate_module

M32 = 0xFFFFFFFF


@pytest.fixture(autouse=True)
def no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    monkeypatch.setattr(interp, "TIER", "0")
    cache.clear_memory()


def load(wat: str) -> ModuleInstance:
    module = parse_module(wat)
    validate_module(module)
    return instantiate(module, [], engine.call)


def _exact(results: List[List[Any]]) -> List[List[Any]]:
    """Results with each float as its bits (NaNs compare, -0.0 differs from 0.0)."""
    return [[struct.pack("<d", v) if isinstance(v, float) else v for v in r] for r in results]


def both_tiers(wat: str, name: str, argsets: List[List[Any]]) -> List[List[Any]]:
    """The results in tier 0 and in tier 1 (which must agree, floats bit for bit)."""
    out = []
    for tier in (0, 1):
        inst = load(wat)
        if tier:
            to_tier1(inst)
        out.append([engine.call(inst.exports[name], list(a)) for a in argsets])
    assert _exact(out[0]) == _exact(out[1])
    return out[1]


# -- structure ---------------------------------------------------------------------------


def nested_switch(n: int) -> str:
    """``n`` nested blocks, a ``br_table`` to every one of them at the bottom."""
    s = '(module (func (export "f") (param i32) (result i32) (local i32)\n'
    s += "(block " * n + "(br_table " + " ".join(map(str, range(n))) + " (local.get 0))"
    for k in range(n):
        s += f") (local.set 1 (i32.add (i32.mul (local.get 1) (i32.const 3)) (i32.const {k})))\n"
    return s + "(local.get 1)))"


def expect_switch(n: int, i: int) -> int:
    acc = 0
    for k in range(min(i, n - 1), n):
        acc = (acc * 3 + k) & M32
    return acc


@pytest.mark.parametrize("n", [3, 16, 300])
def test_nested_blocks_br_table(n: int) -> None:
    inst = load(nested_switch(n))
    f = inst.exports["f"]
    t = codegen.tier1(f)
    assert t is not None and t.gen is not None
    assert t.gen.scheme == "structured"  # beyond ``MAX_LOOPS`` blocks by the flat switch layout
    f.compiled = t
    for i in (0, 1, 2, n - 1, n, n + 7, M32):
        assert engine.call(f, [i]) == [expect_switch(n, i)]


def test_br_table_5000_targets() -> None:
    arms = " ".join(str(k % 4) for k in range(5000))
    wat = f"""(module (func (export "f") (param i32) (result i32)
      (block (block (block (block (block
        (br_table {arms} 4 (local.get 0)))
        (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))
        (return (i32.const 13)))
      (i32.const 14)))"""
    args = [[i] for i in (0, 1, 2, 3, 4, 2500, 4997, 4998, 4999, 5000, 5001, M32)]
    assert both_tiers(wat, "f", args) == [[10 + (i % 4 if i < 5000 else 4)] for (i,) in args]


def test_br_table_5000_nested_blocks() -> None:
    inst = load(nested_switch(5000))
    f = inst.exports["f"]
    f.compiled = codegen.tier1(f)
    for i in (0, 2500, 4999, 5000):
        assert engine.call(f, [i]) == [expect_switch(5000, i)]


def test_huge_function() -> None:
    """100k wasm instructions: over ``MAX_INSTRUCTIONS`` IR instructions it stays in tier 0."""
    n = 25000
    body = "".join(f"(local.set 0 (i32.add (i32.mul (local.get 0) (i32.const {k % 7 + 1}))"
                   f" (i32.const {k})))\n" for k in range(n))
    wat = f'(module (func (export "f") (param i32) (result i32) {body} (local.get 0)))'
    acc = 5
    for k in range(n):
        acc = (acc * (k % 7 + 1) + k) & M32
    inst = load(wat)
    f = inst.exports["f"]
    assert codegen.tier1(f) is None  # too big: left to tier 0
    interp_tier = interp.TIER
    try:
        interp.TIER = "1"
        assert engine.call(f, [5]) == [acc]
    finally:
        interp.TIER = interp_tier
    assert isinstance(f.compiled, interp.Compiled)


LOOPS = """(module
 (func (export "search") (param i32 i32) (result i32) (local i32 i32 i32)
   ;; rows x cols: the first (i, j) with i*j == target, as i*1000+j, or -1
   (block $done (loop $rows
     (local.set 3 (i32.const 0))
     (block $next (loop $cols
        (br_if $done (i32.eq (i32.mul (local.get 2) (local.get 3)) (local.get 1)))
        (local.set 3 (i32.add (local.get 3) (i32.const 1)))
        (br_if $next (i32.ge_u (local.get 3) (local.get 0)))
        (br $cols)))
     (local.set 2 (i32.add (local.get 2) (i32.const 1)))
     (br_if $rows (i32.lt_u (local.get 2) (local.get 0)))
     (return (i32.const -1))))
   (i32.add (i32.mul (local.get 2) (i32.const 1000)) (local.get 3)))
 (func (export "three") (param i32) (result i32) (local i32 i32 i32 i32)
   (loop $a (block $x (loop $b (block $y (loop $c
      (local.set 4 (i32.add (local.get 4) (i32.const 1)))
      (local.set 3 (i32.add (local.get 3) (i32.const 1)))
      (br_if $c (i32.lt_u (local.get 3) (i32.const 3)))
      (local.set 3 (i32.const 0))
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (br_if $b (i32.lt_u (local.get 2) (i32.const 4)))
      (local.set 2 (i32.const 0))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $a (i32.lt_u (local.get 1) (local.get 0)))
      (br $x))) (br $b))))
   (local.get 4))
 (func (export "multi") (param i32) (result i32 i64)
   (block $out (result i32 i64)
     (local.get 0)
     (loop $l (param i32) (result i32 i64)
       (i32.add (i32.const 7))
       (local.tee 0)
       (i64.extend_i32_u (local.get 0))
       (br_if $out (i32.gt_u (local.get 0) (i32.const 30)))
       (drop) (drop)
       (br $l (i32.mul (local.get 0) (i32.const 2))))))
 (func (export "swap") (param i32 i32) (result i32 i32)
   (local.get 1) (local.get 0) (block (param i32 i32) (result i32 i32) (br 0)))
 (func $pair (param i64) (result i64 i64) (local.get 0) (i64.mul (local.get 0) (i64.const 3)))
 (func (export "call_multi") (param i64) (result i64)
   (call $pair (local.get 0)) (i64.sub))
)"""


def test_loops_and_multi_level_exits() -> None:
    assert both_tiers(LOOPS, "search", [[10, 42], [10, 1000], [5, 0]]) == [[6007], [M32], [0]]
    assert both_tiers(LOOPS, "three", [[1], [2], [5]]) == [[12], [24], [60]]


def test_multi_value() -> None:
    assert both_tiers(LOOPS, "multi", [[0], [1]]) == [[49, 49], [53, 53]]
    assert both_tiers(LOOPS, "swap", [[1, 2]]) == [[2, 1]]
    assert both_tiers(LOOPS, "call_multi", [[5]]) == [[i64_of(5 - 15)]]


def random_program(rng: random.Random, depth_limit: int, switches: bool = False) -> str:
    """A random function of nested block/loop/if with br, br_if and br_table at every
    depth; loops burn fuel (local 4) so it always ends. With ``switches``, also C-style
    switches: 4-8 nested blocks, a ``br_table`` at the bottom, a case after each end."""
    def cond() -> str:
        return rng.choice(["(i32.and (local.get 1) (i32.const 1))", "(i32.gt_u (local.get 2) (local.get 1))",
                           "(i32.eqz (i32.rem_u (local.get 3) (i32.const 3)))", "(local.get 0)"])

    def update() -> str:
        x = rng.randrange(1, 4)
        return rng.choice([
            f"(local.set {x} (i32.add (local.get {x}) (i32.const {rng.randrange(1, 9)})))",
            f"(local.set {x} (i32.xor (local.get {x}) (i32.mul (local.get {rng.randrange(0, 4)}) (i32.const 7))))",
            f"(local.set {x} (i32.shr_u (local.get {x}) (i32.const 1)))"])

    def block(labels: List[str], depth: int) -> str:
        out = []
        for _ in range(rng.randrange(1, 4)):
            r = rng.random()
            if switches and depth < depth_limit and r < 0.1:
                out.append(switch(labels, depth))
            elif depth < depth_limit and r < 0.3:
                kind = rng.choice(["block", "loop", "if"])
                inner = labels + [kind]
                if kind == "loop":
                    fuel = ("(local.set 4 (i32.sub (local.get 4) (i32.const 1)))"
                            "(if (i32.eqz (local.get 4)) (then (return (i32.add (local.get 1) (local.get 2)))))")
                    out.append(f"(loop {fuel} {block(inner, depth + 1)})")
                elif kind == "if":
                    out.append(f"(if {cond()} (then {block(inner, depth + 1)}) (else {block(inner, depth + 1)}))")
                else:
                    out.append(f"(block {block(inner, depth + 1)})")
            elif labels and r < 0.45:
                out.append(f"(br_if {rng.randrange(len(labels))} {cond()})")
            else:
                out.append(update())
        r = rng.random()
        if labels and r < 0.2:
            out.append(f"(br {rng.randrange(len(labels))})")
        elif labels and r < 0.3:
            arms = " ".join(str(rng.randrange(len(labels))) for _ in range(rng.randrange(1, 6)))
            out.append(f"(br_table {arms} (i32.rem_u (local.get 3) (i32.const 7)))")
        return " ".join(out)

    def switch(labels: List[str], depth: int) -> str:
        if rng.random() < 0.5:  # in a loop, as an interpreter's dispatch; fuel spent without an if
            fuel = ("(local.set 4 (i32.sub (local.get 4) (i32.const 1)))"
                    f"(drop (br_if {len(labels) + 1} (i32.add (local.get 1) (local.get 2)) (i32.eqz (local.get 4))))")
            return f"(loop {fuel} {switch_blocks(labels + ['loop'], depth + 1)})"
        return switch_blocks(labels, depth)

    def switch_blocks(labels: List[str], depth: int) -> str:
        n = rng.randrange(4, 9)
        inner = labels + ["block"] * n
        targets = list(range(n)) + [rng.randrange(len(inner)) for _ in range(rng.randrange(3))]
        rng.shuffle(targets)
        first = block(inner, depth + 1) if rng.random() < 0.5 else update()
        index = "(i32.rem_u (local.get 3) (i32.const 9))"
        r = rng.random()
        if r < 0.5:  # segment 0 ends with a br (to any label, an outer switch's too) or runs off
            arms = " ".join(str(t + 1) for t in targets)
            last = f"(if {cond()} (then (br_table {arms} {index})))"
            if r < 0.3:
                last += f" (br {rng.randrange(len(inner))})"
            else:  # into case 1, often the one its br_ifs go to most
                last = " ".join(f"(br_if 0 {cond()})" for _ in range(rng.randrange(3))) + last
        else:
            last = f"(br_table {' '.join(map(str, targets))} {index})"
        out = "(block " * n + f"{first} {last}"
        for k in range(n):
            out += ")" + block(labels + ["block"] * (n - 1 - k), depth + 1)
        return out

    return f"""(module (func (export "f") (param i32) (result i32) (local i32 i32 i32 i32)
      (local.set 4 (i32.const 200)) (local.set 1 (local.get 0))
      {block([], 0)}
      (i32.add (i32.mul (local.get 1) (i32.const 31)) (i32.add (local.get 2) (local.get 3)))))"""


@pytest.mark.parametrize("switches", [False, True])
@pytest.mark.parametrize("seed", range(40))
def test_random_control_flow(seed: int, switches: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random nesting (with switches: their flat layout, branches into their cases
    from inner loops) agrees with tier 0, in the structured scheme and in the fallback."""
    rng = random.Random(seed + 1000 * switches)
    wat = random_program(rng, 3 + seed % 5, switches)
    args = [[0], [1], [5], [12345]]
    expected = both_tiers(wat, "f", args)
    def no_structure(self: Any) -> None:
        raise codegen._Fallback

    monkeypatch.setattr(codegen._Structured, "run", no_structure)
    cache.clear_memory()
    inst = load(wat)
    to_tier1(inst)
    assert inst.exports["f"].compiled.gen.scheme == "dispatch"
    assert [engine.call(inst.exports["f"], a) for a in args] == expected


def spent_fuel(wat: str, args: List[int]) -> List[Any]:
    """``f``'s result (or trap) and the fuel it spent, for each argument, in the current tier."""
    from wasmlite import Linker, Module, Store

    out = []
    for a in args:
        store = Store(fuel=10**7)
        f = Linker().instantiate(store, Module(wat)).exports["f"]
        try:
            out.append((f(a), 10**7 - store.get_fuel()))
        except Trap as t:
            out.append((str(t), 10**7 - store.get_fuel()))
    return out


def sharing_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lay out every wasm loop and wrapped block in the switch around it (as for a
    function nesting more than ``MAX_LOOPS`` loops), from the outermost loop on."""
    init = codegen._Structured.__init__

    def flat(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **{**kwargs, "flat_from": 0})

    monkeypatch.setattr(codegen._Structured, "__init__", flat)


@pytest.mark.parametrize("seed", range(30))
def test_random_control_flow_in_shared_loops(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random nesting with its loops sharing switches agrees with tier 0, fuel included."""
    wat = random_program(random.Random(seed + 2000), 3 + seed % 5, switches=True)
    args = [0, 1, 5, 12345]
    expected = spent_fuel(wat, args)
    sharing_loops(monkeypatch)
    monkeypatch.setattr(interp, "TIER", "1")
    assert spent_fuel(wat, args) == expected
    inst = load(wat)
    to_tier1(inst)
    gen = inst.exports["f"].compiled.gen
    assert gen.scheme == "structured" and ("while True:" not in gen.source or "s0 = 0" in gen.source)


def deep_loops(n: int) -> str:
    """``n`` nested loops, each repeating while a shared countdown lasts (and its bit
    says so), the innermost also going back to the outermost's head."""
    s = '(module (func (export "f") (param i32) (result i32) (local i32)\n'
    for k in range(n):
        s += (f"(loop $l{k} (local.set 1 (i32.add (i32.mul (local.get 1) (i32.const 3)) (i32.const {k})))\n"
              "(local.set 0 (i32.sub (local.get 0) (i32.const 1)))\n")
    s += "(br_if $l0 (i32.and (i32.gt_s (local.get 0) (i32.const 0)) (i32.eq (i32.and (local.get 0) (i32.const 7)) (i32.const 5))))\n"
    for k in reversed(range(n)):
        s += f"(br_if $l{k} (i32.and (i32.gt_s (local.get 0) (i32.const 0)) (i32.ne (i32.and (local.get 0) (i32.const {k % 4 + 1})) (i32.const 0)))))\n"
    return s + "(local.get 1)))"


def test_loops_nested_deeper_than_python_allows() -> None:
    """25 nested loops (over ``MAX_LOOPS``) are laid out in shared switches, not the
    dispatch fallback, and agree with tier 0, fuel included."""
    wat = deep_loops(25)
    inst = load(wat)
    to_tier1(inst)
    gen = inst.exports["f"].compiled.gen
    assert gen.scheme == "structured" and gen.source.count("while True:") <= codegen.MAX_LOOPS
    args = [0, 1, 2, 7, 30, 100, 1000]
    expected = spent_fuel(wat, args)
    interp_tier, interp.TIER = interp.TIER, "1"
    try:
        assert spent_fuel(wat, args) == expected
    finally:
        interp.TIER = interp_tier


SHAPES = """(module
 (func (export "guard") (param i32 i32) (result i32) (local i32)
   ;; C's ``if (likely(x)) { fast } else { slow }``: br_if exits at a block's own level,
   ;; the values they carry, an if-arm left early with a value, nested exits
   (block $b (result i32)
     (block $a
       (br_if $a (i32.gt_u (local.get 0) (i32.const 100)))
       (local.set 2 (i32.mul (local.get 0) (i32.const 3)))
       (br_if $b (local.get 2) (i32.eqz (local.get 1)))
       (local.set 2 (i32.add (local.get 2) (local.get 1)))
       (drop (br_if $b (i32.const 7) (i32.gt_u (local.get 2) (i32.const 200))))
       (br $b (i32.sub (local.get 2) (i32.const 1))))
     (if (result i32) (i32.and (local.get 0) (i32.const 1))
       (then (drop (br_if 0 (i32.const 11) (local.get 1)))
             (i32.const 13))
       (else (block $c (result i32)
               (drop (br_if $c (i32.const 17) (i32.gt_u (local.get 1) (i32.const 5))))
               (drop (br_if $c (i32.const 19) (local.get 1)))
               (i32.const 23)))))
   (i32.add (i32.const 1000)))
 (func (export "dispatch") (param i32 i32) (result i32) (local i32)
   ;; an interpreter loop: the br_table's arms go to the switch's cases, back to the
   ;; loop's head and out of it (stub leaves: their values move down a slot)
   (block $out (result i32)
     (i32.const 0)
     (loop $next (param i32) (result i32)
       (local.set 2)
       (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
       (br_if $out (local.get 2) (i32.eqz (local.get 1)))
       (local.set 0 (i32.rem_u (i32.add (i32.mul (local.get 0) (i32.const 5)) (i32.const 3)) (i32.const 11)))
       (local.get 0)
       (block $c3 (result i32)
         (block $c2 (result i32) (block $c1 (result i32) (block $c0 (result i32)
           (br_table $c0 $c1 $next $c2 $out $c3 $c1 $c3 $c0 $c2
             (i32.add (local.get 2) (i32.const 1)) (local.get 0))
           ) (i32.add (i32.const 1)) (br $c3))
           (i32.xor (i32.const 0x55)) (br $c3))
         (i32.mul (i32.const 3)))
       (i32.add)
       (br $next)))))"""


def test_exits_by_nesting_and_switch_stubs() -> None:
    """Block exits done by nesting the rest under ``if not`` (with the values they carry),
    and a ``br_table`` in a switch loop whose arms need stub leaves, agree with tier 0
    and with values worked out by hand."""
    args = [[a, b] for a in (0, 1, 50, 99, 101, 150, 3000) for b in (0, 1, 3, 6, 500)]
    guard = both_tiers(SHAPES, "guard", args)

    def expect(a: int, b: int) -> int:
        if a <= 100:
            x = a * 3 & M32
            if not b:
                return x
            x = (x + b) & M32
            return 7 if x > 200 else (x - 1) & M32
        if a & 1:
            return 11 if b else 13
        return 17 if b > 5 else (19 if b else 23)

    assert guard == [[expect(a, b) + 1000 & M32] for a, b in args]
    steps = [[s, n] for s in (0, 1, 4, 7) for n in (1, 2, 5, 40, 300)]
    dispatch = both_tiers(SHAPES, "dispatch", steps)
    cache.clear_memory()
    t = codegen.tier1(load(SHAPES).exports["dispatch"])
    assert t is not None and t.gen is not None and t.gen.scheme == "structured"
    assert "br = " not in t.gen.source and "s0 = (" in t.gen.source  # no flag, one tuple lookup
    assert all(len(r) == 1 for r in dispatch)


FALL_INTO_CASE = """(module (func (export "f") (param i32) (result i32) (local i32)
  ;; C's error paths: the switch's first code falls off its end into case 1, which
  ;; also takes the most branches (so it is tested ahead of the tree, not in it)
  (block $c3 (block $c2 (block $c1 (block $c0
        (br_if $c0 (i32.eq (local.get 0) (i32.const 1)))
        (br_if $c0 (i32.eq (local.get 0) (i32.const 2)))
        (br_if $c1 (i32.eq (local.get 0) (i32.const 3)))
        (br_if $c2 (i32.eq (local.get 0) (i32.const 4)))
        (br_if $c3 (i32.eq (local.get 0) (i32.const 5)))
        (local.set 1 (i32.const 100)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $c3))
    (local.set 1 (i32.add (local.get 1) (i32.const 20))))
  (local.set 1 (i32.add (local.get 1) (i32.const 300))))
  (local.get 1)))"""


def test_switch_code_falling_into_its_common_case() -> None:
    """A switch whose segment 0 runs off its end goes on to segment 1 even when that
    segment is tested ahead of the tree (graphviz's function 719 once went to segment 2)."""
    cache.clear_memory()
    t = codegen.tier1(load(FALL_INTO_CASE).exports["f"])
    assert t is not None and t.gen is not None and t.gen.scheme == "structured"
    assert "s0 = " in t.gen.source  # laid out as a switch
    args = [[x] for x in range(7)]
    assert both_tiers(FALL_INTO_CASE, "f", args) == [[101], [1], [1], [320], [300], [0], [101]]


LATCH = """(module (func (export "f") (param i32 i32) (result i32) (local i32 i32 i32)
  (loop $top
    (local.set 3 (i32.and (i32.add (local.get 3) (i32.mul (local.get 2) (i32.const 7))) (i32.const 7)))
    (block $latch (block $c4 (block $c3 (block $c2 (block $c1 (block $c0
      (br_table $c0 $c1 $c2 $latch $c3 $c4 (local.get 3)))
      (local.set 4 (i32.add (local.get 4) (i32.const 1))) (br $latch))
      (local.set 4 (i32.mul (local.get 4) (i32.const 3)))
      (br_if $latch (i32.and (local.get 4) (i32.const 1)))
      (local.set 4 (i32.xor (local.get 4) (i32.const 5))) (br $latch))
      (local.set 2 (i32.add (local.get 2) (i32.const 1))))  ;; falls into $c3's code
      (block $inner (loop $spin  ;; leaves for the latch from an inner loop
        (br_if $latch (i32.gt_u (local.get 4) (i32.const 1000)))
        (br_if $inner (i32.eqz (i32.and (local.get 4) (i32.const 3))))
        (local.set 4 (i32.add (local.get 4) (i32.const 1)))
        (br $spin)))
      (local.set 4 (i32.sub (local.get 4) (i32.const 2))) (br $latch))
      (local.set 4 (i32.shr_u (local.get 4) (i32.const 1))))  ;; falls into the latch
    ;; the latch: i++, and round again while i < n
    (local.set 2 (i32.add (local.get 2) (i32.const 1)))
    (br_if $top (i32.lt_u (local.get 2) (local.get 0))))
  (i32.add (i32.mul (local.get 4) (i32.const 31)) (local.get 2))))"""


def test_switch_latch_runs_in_place_of_branches_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A switch in a loop whose common segment is a short latch runs it in place of
    each branch to it from the switch loop's own level; a branch from an inner loop,
    a ``br_table`` arm and an arm running off its end still go through the variable.
    Results and fuel agree with tier 0 on every path (index past the table: default)."""
    cache.clear_memory()
    t = codegen.tier1(load(LATCH).exports["f"])
    assert t is not None and t.gen is not None and t.gen.scheme == "structured"
    assert t.gen.source.count("if l2 < l0:") >= 3  # the latch's test in place
    metered = LATCH.replace("(param i32 i32) (result i32) (local", "(param i32) (result i32) (local i32")
    expected = spent_fuel(metered, [0, 1, 7, 300])  # (fuel: a wrong loop runs out, not forever)
    monkeypatch.setattr(interp, "TIER", "1")
    assert spent_fuel(metered, [0, 1, 7, 300]) == expected
    monkeypatch.setattr(interp, "TIER", "0")
    both_tiers(LATCH, "f", [[n, m] for n in (0, 1, 2, 3, 10, 100, 1000) for m in (0, 5)])


ALL_COPIED = """(module (func (export "f") (param i32) (result i32) (local i32 i32 i32)
  (loop $l
    (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 5)) (i32.const 3)))
    (block $latch (block $c2 (block $c1 (block $c0
      (br_table $c0 $c1 $c2 (i32.and (local.get 2) (i32.const 3))))
      (local.set 3 (i32.add (local.get 3) (i32.const 1))) (br $latch))
      (local.set 3 (i32.mul (local.get 3) (i32.const 3))) (br $latch))
      (local.set 3 (i32.xor (local.get 3) (local.get 2))))
    (br_if $l (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0))))
  (i32.add (local.get 3) (local.get 1))))"""


def expect_all_copied(n: int) -> int:
    i = x = acc = 0
    while True:  # (the wasm loop runs once before its test)
        x = (x * 5 + 3) & M32
        k = x & 3
        acc = (acc + 1 if k == 0 else acc * 3 if k == 1 else acc ^ x) & M32
        i += 1
        if i >= n:
            return (acc + i) & M32


def test_switch_arm_of_a_latch_no_code_selects_is_dropped() -> None:
    """When every branch to a switch's common segment runs a copy of it in place, no
    code sets the variable to its number: its ``elif`` arm ahead of the tree is dead
    and not written (``compile()`` time). Where a branch still selects it (``LATCH``:
    from an inner loop) the arm stays. Results agree with tier 0 either way."""
    cache.clear_memory()
    t = codegen.tier1(load(ALL_COPIED).exports["f"])
    assert t is not None and t.gen is not None and "s0 = " in t.gen.source
    assert t.gen.source.count("if l1 < l0:") == 3 and "elif s0 ==" not in t.gen.source
    ns = (0, 1, 2, 3, 7, 100)
    assert both_tiers(ALL_COPIED, "f", [[n] for n in ns]) == [[expect_all_copied(n)] for n in ns]
    cache.clear_memory()
    t = codegen.tier1(load(LATCH).exports["f"])
    assert t is not None and t.gen is not None and "elif s0 == " in t.gen.source


def state_machine(n: int) -> str:
    """A loop over an ``n``-case switch on a state; each case runs its own inner loop."""
    s = f"""(module (func (export "f") (param i32) (result i32) (local i32 i32 i32)
      (block $out (loop $top
        (drop (br_if 2 (local.get 2) (i32.eqz (local.get 0))))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        {"(block " * n}(br_table {" ".join(map(str, range(n)))} {n + 1} (local.get 1))"""
    for k in range(n):
        s += f""")
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 3)) (i32.const {k})))
        (local.set 3 (i32.const {k % 3}))
        (block $done (loop $spin
          (br_if $done (i32.eqz (local.get 3)))
          (local.set 2 (i32.xor (local.get 2) (local.get 3)))
          (local.set 3 (i32.sub (local.get 3) (i32.const 1)))
          (br $spin)))
        (local.set 1 (i32.rem_u (i32.add (local.get 2) (i32.const {k})) (i32.const {n + 1})))
        (br $top)"""
    return s + ")) (i32.const 7)))"


def expect_state_machine(n: int, steps: int) -> int:
    state = acc = 0
    for _ in range(steps):
        if state == n:  # the default arm: out of the loop, 7 is returned
            return 7
        acc = (acc * 3 + state) & M32
        for j in range(state % 3, 0, -1):
            acc ^= j
        state = (acc + state) % (n + 1)
    return acc


@pytest.mark.parametrize("n", [5, 40, 250])
def test_switch_state_machine(n: int) -> None:
    """A big switch in a loop: more nested blocks than CPython can nest loops, so
    structured only through the flat switch layout; agrees with tier 0 and with Python."""
    wat = state_machine(n)
    inst = load(wat)
    t = codegen.tier1(inst.exports["f"])
    assert t is not None and t.gen is not None and t.gen.scheme == "structured"
    steps = [0, 1, 7, 100, 1000]
    assert both_tiers(wat, "f", [[s] for s in steps]) == [[expect_state_machine(n, s)] for s in steps]


INTERPRETER = """(module (func (export "f") (param i32 i32) (result i32) (local i32 i32)
  ;; an interpreter's loop: the opcode is the first argument, then a step of an LCG
  (block $out (loop $top
    (br_if $out (i32.eqz (local.get 1)))
    (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
    (block $latch (block $c5 (block $c4 (block $c3 (block $c2 (block $c1 (block $c0
      (br_table $c0 $c1 $c2 $c2 $c2 $c3 $c4 $c5 $latch $c5 (i32.and (local.get 0) (i32.const 7))))
      (local.set 2 (i32.add (local.get 2) (i32.const 1))) (br $latch))
      (local.set 2 (i32.mul (local.get 2) (i32.const 3))) (br $top))
      (local.set 2 (i32.xor (local.get 2) (local.get 0))) (br $latch))
      (local.set 2 (i32.rotl (local.get 2) (i32.const 5))) (br $top))
      (local.set 2 (i32.sub (local.get 2) (i32.const 7))))  ;; falls into $c5's code
      (local.set 2 (i32.add (local.get 2) (local.get 1))) (br $latch))
    (local.set 0 (i32.add (i32.mul (local.get 0) (i32.const 1103515245)) (i32.const 12345)))
    (br $top)))
  (local.get 2)))"""


def expect_interpreter(op: int, steps: int) -> int:
    acc = 0
    while steps:
        steps -= 1
        case = (0, 1, 2, 2, 2, 3, 4, 5)[op & 7]
        if case == 0:
            acc += 1
        elif case == 1:
            acc *= 3
        elif case == 2:
            acc ^= op
        elif case == 3:
            acc = acc << 5 | (acc & M32) >> 27
        if case in (4, 5):
            acc = (acc - 7 if case == 4 else acc) + steps
        acc &= M32
        if case != 1 and case != 3:
            op = (op * 1103515245 + 12345) & M32
    return acc


def test_switch_cases_at_the_leaves_of_the_index_tree() -> None:
    """The cases a C switch's ``br_table`` alone enters (once, a run of equal arms
    counting once) run at the leaves of a tree on its index: no tuple lookup, no
    segment variable set and tested on the way, nothing set for the next opcode
    (``continue`` with the variable still 0); the index's known interval (0..7)
    leaves no leaf for the arms it cannot take. A case another case runs into
    still goes through the variable. Agrees with tier 0 and with Python."""
    cache.clear_memory()
    t = codegen.tier1(load(INTERPRETER).exports["f"])
    assert t is not None and t.gen is not None and t.gen.scheme == "structured"
    src = t.gen.source
    assert "if t0 < 7:" in src and "s0 = (" not in src and "t0 < 8" not in src and "t0 < 9" not in src
    assert re.search(r"l2 = \(l2 \* 3\) & 0xFFFFFFFF\n *continue\n", src)  # on to the next opcode
    assert src.count("s0 = 6") == 2  # the case $c4 runs into: from $c4 and from arm 7
    args = [[op, steps] for op in (0, 1, 4, 6, 7, 8, 15, 2**31, M32) for steps in (0, 1, 2, 50)]
    assert both_tiers(INTERPRETER, "f", args) == [[expect_interpreter(*a)] for a in args]


WRAPPED_INDEX = """(module (func (export "f") (param i32) (result i32) (local i32)
  ;; the index's interval wraps: (x & 15) - 9 is in 2**32 - 9 .. 2**32 + 6
  (loop $top
    (block $latch (block $c3 (block $c2 (block $c1 (block $c0
      (br_table $c2 $c1 $c0 $c3 (i32.add (i32.and (local.get 0) (i32.const 15)) (i32.const -9))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br $latch))
      (local.set 1 (i32.add (local.get 1) (i32.const 10))) (br $latch))
      (local.set 1 (i32.add (local.get 1) (i32.const 100))) (br $latch))
      (local.set 1 (i32.add (local.get 1) (i32.const 1000))))
    (local.set 0 (i32.shr_u (local.get 0) (i32.const 4)))
    (br_if $top (local.get 0)))
  (local.get 1)))"""


def test_index_tree_ignores_a_wrapping_interval() -> None:
    """An index whose interval wraps (micropython's ``x - 9`` on a byte) keeps every arm
    in the tree: taken as ``2**32 - 9 .. 2**32 + 6``, only the default had a leaf."""
    args = [[x] for x in (0, 8, 9, 10, 11, 12, 15, 0x9A, 0xBA9F, M32)]

    def expect(x: int) -> int:
        acc = 0
        while True:
            acc += {9: 100, 10: 10, 11: 1}.get(x & 15, 1000)
            x >>= 4
            if not x:
                return acc

    assert both_tiers(WRAPPED_INDEX, "f", args) == [[expect(x)] for (x,) in args]


def interpreter_switch(rng: random.Random, n: int) -> str:
    """A loop over an ``n``-block switch whose ``br_table`` (on the full first argument,
    then on an LCG's values) has random arms: runs of equal arms, arms repeated apart,
    arms to the loop's head, to the latch and out; cases branch to the latch, to the
    head, out, to other cases (also from an inner loop) or run into the next case."""
    labels = n + 2  # $c0 .. $c{n-1}, $latch, $top, $out
    targets = [rng.choice([rng.randrange(n), rng.randrange(n), n, n + 1, n + 2]) for _ in range(rng.randrange(1, 3 * n))]
    for _ in range(n):
        k = rng.randrange(len(targets))
        targets[k:k] = [targets[k]] * rng.randrange(1, 5)
    s = f"""(module (func (export "f") (param i32 i32) (result i32) (local i32 i32)
      (block $out (loop $top
        (br_if $out (i32.eqz (local.get 1)))
        (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
        (block $latch {"(block " * n}(br_table {" ".join(map(str, targets))} {rng.randrange(labels + 1)} (local.get 0))"""
    for k in range(n):
        depth = n - 1 - k  # blocks still open around the code after case k's block
        s += f""")
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 3)) (i32.const {k})))"""
        r = rng.random()
        if r < 0.15 and k + 1 < n:  # on to another case, from an inner loop
            s += f"""
        (local.set 3 (i32.const 3))
        (loop $spin (local.set 3 (i32.sub (local.get 3) (i32.const 1)))
          (br_if {depth - rng.randrange(1, depth + 1) + 1} (i32.eqz (local.get 3))) (br $spin))"""
        elif r < 0.3 and k + 1 < n:  # to a later case
            s += f" (br_if {rng.randrange(depth)} (i32.and (local.get 2) (i32.const 1)))"
        s += f" (br {rng.choice([depth, depth + 1, depth + 2])})" if rng.random() < 0.8 else ""
    return s + """)
        (local.set 0 (i32.add (i32.mul (local.get 0) (i32.const 1103515245)) (i32.const 12345)))
        (local.set 0 (i32.rem_u (local.get 0) (i32.const 1000)))
        (br $top)))
      (local.get 2)))"""


@pytest.mark.parametrize("seed", range(40))
def test_random_switches_with_cases_at_the_leaves(seed: int) -> None:
    """Random interpreter switches agree with tier 0 for the first index 0, 1, n - 1,
    n, the table's length and past it, 2**31 and 2**32 - 1 (the arms past ``n`` go
    to the default), over a few steps."""
    rng = random.Random(seed)
    n = rng.choice([4, 5, 8, 13, 40])
    wat = interpreter_switch(rng, n)
    cache.clear_memory()
    t = codegen.tier1(load(wat).exports["f"])
    assert t is not None and t.gen is not None and t.gen.scheme == "structured"
    first = [0, 1, n - 1, n, 3 * n, 8 * n, 2**31 - 1, 2**31, M32 - 1, M32]
    both_tiers(wat, "f", [[op, steps] for op in first for steps in (1, 2, 30)])


def test_cases_too_deep_go_back_into_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the cases at the leaves of the index tree nest too deep for CPython (here:
    any tree written with cases in it), the function is made again with them in the
    segment tree (a tuple lookup), still structured, before any other layout."""
    table_tree = codegen._Gen.table_tree

    def too_deep(self: Any, *args: Any, **kwargs: Any) -> None:
        table_tree(self, *args, **kwargs)
        if getattr(self, "cased", False):
            raise codegen._Fallback

    monkeypatch.setattr(codegen._Gen, "table_tree", too_deep)
    wat = state_machine(40)
    t = codegen.tier1(load(wat).exports["f"])
    assert t is not None and t.gen is not None and t.gen.scheme == "structured" and "s0 = (" in t.gen.source
    steps = [0, 1, 7, 100]
    assert both_tiers(wat, "f", [[s] for s in steps]) == [[expect_state_machine(40, s)] for s in steps]


# -- the same results as tier 0 over a set of modules ---------------------------------------

ARITH = """(module (memory 1) (global $g (mut i64) (i64.const 5)) (table 2 funcref) (elem (i32.const 0) $sq $neg)
 (type $un (func (param f64) (result f64)))
 (func $sq (param f64) (result f64) (f64.mul (local.get 0) (local.get 0)))
 (func $neg (param f64) (result f64) (f64.neg (local.get 0)))
 (func (export "indirect") (param i32 f64) (result f64) (call_indirect (type $un) (local.get 1) (local.get 0)))
 (func (export "mem") (param i32 i64) (result i64)
   (i64.store offset=3 (local.get 0) (local.get 1))
   (i64.add (i64.load8_s offset=3 (local.get 0)) (i64.load offset=3 (local.get 0))))
 (func (export "f32bits") (param i32) (result i32)
   (f32.store (i32.const 0) (f32.neg (f32.reinterpret_i32 (local.get 0)))) (i32.load (i32.const 0)))
 (func (export "nan") (result i64) (i64.reinterpret_f64 (f64.const nan:0x4)))
 (func (export "glob") (param i64) (result i64)
   (global.set $g (i64.add (global.get $g) (local.get 0))) (global.get $g))
 (func (export "fill") (param i32) (result i32)
   (memory.fill (i32.const 100) (local.get 0) (i32.const 4)) (i32.load (i32.const 100)))
 (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 (func (export "f32") (param f32 f32) (result f32) (f32.div (f32.add (local.get 0) (local.get 1)) (local.get 1)))
 (func (export "sel") (param i32) (result i64) (select (i64.const -1) (i64.const 2) (local.get 0)))
)"""


def test_same_results_as_tier0() -> None:
    assert both_tiers(ARITH, "indirect", [[0, 3.0], [1, 3.0]]) == [[9.0], [-3.0]]
    assert both_tiers(ARITH, "mem", [[0, 0x1FF], [7, 5]]) == [[0x1FF - 1], [10]]
    assert both_tiers(ARITH, "f32bits", [[0x7FA00001], [1]]) == [[0xFFA00001], [0x80000001]]
    assert both_tiers(ARITH, "nan", [[]]) == [[0x7FF0000000000004]]
    assert both_tiers(ARITH, "glob", [[1]]) == [[6]]
    assert both_tiers(ARITH, "fill", [[0x1AB]]) == [[0xABABABAB]]
    assert both_tiers(ARITH, "grow", [[1], [70000]]) == [[1], [M32]]
    assert both_tiers(ARITH, "sel", [[0], [3]]) == [[2], [i64_of(-1)]]
    both_tiers(ARITH, "f32", [[1.0, 3.0], [0.0, 0.0], [1e38, 1e-38]])


def test_traps() -> None:
    inst = load(ARITH)
    to_tier1(inst)
    with pytest.raises(Trap, match="out of bounds memory access"):
        engine.call(inst.exports["mem"], [65535, 1])
    with pytest.raises(Trap, match="undefined element"):
        engine.call(inst.exports["indirect"], [2, 1.0])
    assert engine.call(inst.exports["mem"], [8, 2]) == [4]


# -- calls ------------------------------------------------------------------------------------

CALLS = """(module
 (func $depth (export "depth") (param i32) (result i32)
   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
     (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1)))))))
 (func $forever (export "forever") (call $forever))
 (func $even (export "even") (param i32) (result i32)
   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
     (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))
 (func $odd (export "odd") (param i32) (result i32)
   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
     (else (call $even (i32.sub (local.get 0) (i32.const 1))))))
 (func $fib (export "fib") (param i32) (result i32)
   (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
     (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                    (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
)"""


def test_recursion_depth() -> None:
    inst = load(CALLS)
    to_tier1(inst)
    assert engine.call(inst.exports["depth"], [10000]) == [10000]
    with pytest.raises(Trap, match="call stack exhausted"):
        engine.call(inst.exports["forever"], [])
    assert interp._depth == 0
    assert engine.call(inst.exports["depth"], [100]) == [100]


def test_cross_tier_calls() -> None:
    """``even`` in tier 1 and ``odd`` in tier 0 call each other, deep."""
    inst = load(CALLS)
    even = inst.exports["even"]
    even.compiled = codegen.tier1(even)
    assert engine.call(even, [5001]) == [0]
    assert engine.call(inst.exports["odd"], [5001]) == [1]
    assert isinstance(inst.exports["odd"].compiled, interp.Compiled)
    with pytest.raises(Trap, match="call stack exhausted"):
        engine.call(even, [10 ** 6])
    assert interp._depth == 0
    assert engine.call(even, [10]) == [1]
    # every wasm frame counts once, whichever tier calls which: the same limit as tier 0
    assert engine.call(even, [interp.MAX_CALL_DEPTH - 1]) == [0]
    with pytest.raises(Trap, match="call stack exhausted"):
        engine.call(even, [interp.MAX_CALL_DEPTH])


def test_tier_up_when_hot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Within one call from the host: after ``HOT_CALLS`` calls."""
    monkeypatch.setattr(interp, "TIER", "auto")
    inst = load(CALLS)
    fib = inst.exports["fib"]
    assert engine.call(fib, [2]) == [1]
    assert isinstance(fib.compiled, interp.Compiled)
    inst = load(CALLS)
    fib = inst.exports["fib"]
    assert engine.call(fib, [15]) == [610]  # far more than HOT_CALLS calls
    assert isinstance(fib.compiled, codegen.Tier1)
    assert engine.call(fib, [20]) == [6765]


def test_tier_up_by_loop_iterations(monkeypatch: pytest.MonkeyPatch) -> None:
    """One long-looping call spends the whole budget: compiled at its next call."""
    monkeypatch.setattr(interp, "TIER", "auto")
    monkeypatch.setattr(interp, "SMALL_MODULE_BYTES", 0)  # (else a loop starts in tier 1)
    inst = load(LOOPS)
    search = inst.exports["search"]
    assert engine.call(search, [10, 42]) == [6007]  # a few iterations
    assert 0 < search.compiled.budget < interp.HOT_CALLS * interp.CALL_COST + interp.SIZE_COST * ir_size(search)
    inst = load(LOOPS)
    search = inst.exports["search"]
    assert engine.call(search, [100, 9999]) == [M32]  # 10,000 iterations, one call
    assert search.compiled.budget < 0
    assert engine.call(search, [10, 42]) == [6007]
    assert isinstance(search.compiled, codegen.Tier1)


def ir_size(f: Any) -> int:
    """How many IR instructions ``f`` has (tier 0 keeps no IR of a loaded function)."""
    return len(interp.translate_function(f.instance.module, f.index, interp._validator(f.instance)).code)


SIZES = """(module
  (func $small (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $big (param i32) (result i32)
    (if (i32.eq (local.get 0) (i32.const -7))
      (then %s))
    (i32.add (local.get 0) (i32.const 1)))
  (func (export "drive") (param $n i32) (result i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s) (call $small (local.get $n))))
      (local.set $s (i32.add (local.get $s) (call $big (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $s)))""" % ("(local.set 0 (i32.mul (local.get 0) (i32.const 3)))" * 60)


def test_big_functions_tier_up_after_more_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tier-up budget grows with the function's size (compiling costs more): of two
    functions called as often, the small one is compiled first; the big one too, given
    enough calls."""
    monkeypatch.setattr(interp, "TIER", "auto")
    monkeypatch.setattr(interp, "SMALL_MODULE_BYTES", 0)  # (else the loop starts in tier 1)
    n = interp.HOT_CALLS + 20
    inst = load(SIZES)
    small, big = inst.funcs[0], inst.funcs[1]
    assert engine.call(inst.exports["drive"], [n]) == [n * (n + 1) + 2 * n]
    assert isinstance(small.compiled, codegen.Tier1)
    assert isinstance(big.compiled, interp.Compiled) and big.compiled.budget > 0
    n = interp.HOT_CALLS + interp.SIZE_COST * ir_size(big) // interp.CALL_COST + 20
    inst = load(SIZES)
    big = inst.funcs[1]
    assert engine.call(inst.exports["drive"], [n]) == [(n * (n + 1) + 2 * n) & M32]
    assert isinstance(big.compiled, codegen.Tier1)


def test_tier_up_when_the_host_calls_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ran under a call from the host tiers up, though far from hot, when the
    host calls the same export again (each function at its next call); what ran
    under other exports' calls (initialisation) does not."""
    monkeypatch.setattr(interp, "TIER", "auto")
    inst = load(CALLS)
    fib, even, odd = (inst.exports[name] for name in ("fib", "even", "odd"))
    assert engine.call(odd, [3]) == [1]  # odd, even, odd, even: loaded in tier 0
    assert engine.call(fib, [1]) == [1]  # another export
    assert engine.call(even, [3]) == [0]  # and another
    assert isinstance(odd.compiled, interp.Compiled) and odd.compiled.budget > 0
    assert isinstance(even.compiled, interp.Compiled) and even.compiled.budget > 0
    assert engine.call(odd, [2]) == [0]  # odd again: odd and even tier up as they are called
    assert isinstance(odd.compiled, codegen.Tier1) and isinstance(even.compiled, codegen.Tier1)
    assert isinstance(fib.compiled, interp.Compiled)
    assert engine.call(fib, [10]) == [55]  # fib again: 177 calls, fewer than HOT_CALLS
    assert isinstance(fib.compiled, codegen.Tier1)


def test_forced_tiers(monkeypatch: pytest.MonkeyPatch) -> None:
    for tier, kind in (("1", codegen.Tier1), ("0", interp.Compiled)):
        monkeypatch.setattr(interp, "TIER", tier)
        inst = load(CALLS)
        assert engine.call(inst.exports["fib"], [12]) == [144]
        assert isinstance(inst.exports["fib"].compiled, kind)


# -- the cache ------------------------------------------------------------------------------


def cache_files(d: Any) -> List[str]:
    return [os.path.join(r, f) for r, _, fs in os.walk(str(d)) for f in fs]


def test_cache_miss_hit_corrupt(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(interp, "TIER", "1")
    inst = load(CALLS)
    assert engine.call(inst.exports["fib"], [10]) == [55]
    files = cache_files(tmp_path)
    assert len(files) == 1 and files[0].endswith(".bin")
    stamp = os.stat(files[0]).st_mtime_ns

    cache.clear_memory()
    calls: List[Any] = []
    monkeypatch.setattr(codegen, "generate", lambda *a: calls.append(a))  # a hit never generates
    inst = load(CALLS)
    assert engine.call(inst.exports["fib"], [11]) == [89]
    assert calls == [] and os.stat(files[0]).st_mtime_ns == stamp
    monkeypatch.undo()

    monkeypatch.setenv("WASMLITE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(interp, "TIER", "1")
    for garbage in (b"", b"\x00garbage", b"\xe3\x01\x00\x00\x00"):
        cache.clear_memory()
        with open(files[0], "wb") as f:
            f.write(garbage)
        inst = load(CALLS)
        assert engine.call(inst.exports["fib"], [12]) == [144]
        with open(files[0], "rb") as f:
            assert f.read() != garbage  # rewritten
    assert not [f for f in cache_files(tmp_path) if ".tmp" in f]


def test_cache_keyed_by_code_stamp(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Code generated by other sources (a changed template, say) is never reused."""
    monkeypatch.setenv("WASMLITE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(interp, "TIER", "1")
    assert cache.code_stamp() == cache.code_stamp()
    engine.call(load(CALLS).exports["fib"], [3])
    monkeypatch.setattr(cache, "_stamp", ["other sources"])
    cache.clear_memory()
    engine.call(load(CALLS).exports["fib"], [3])
    assert len(cache_files(tmp_path)) == 2


def test_cache_shared_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interp, "TIER", "1")
    first = load(CALLS)
    engine.call(first.exports["fib"], [5])
    calls: List[Any] = []
    monkeypatch.setattr(codegen, "generate", lambda *a: calls.append(a))
    second = load(CALLS)
    assert engine.call(second.exports["fib"], [6]) == [8]
    assert calls == []
    assert second.exports["fib"].compiled.fn is not first.exports["fib"].compiled.fn


def test_cache_disabled_and_default(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    assert cache.directory() is None
    monkeypatch.setattr(interp, "TIER", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    inst = load(CALLS)
    assert engine.call(inst.exports["fib"], [7]) == [13]
    assert cache_files(tmp_path) == []
    monkeypatch.delenv("WASMLITE_CACHE_DIR")
    assert cache.directory() == os.path.join(str(tmp_path), "wasmlite")


def test_module_hash_tells_modules_apart() -> None:
    a = parse_module(CALLS)
    b = parse_module(CALLS.replace("(i32.const 2)", "(i32.const 3)"))
    assert cache.module_hash(a) == cache.module_hash(parse_module(CALLS))
    assert cache.module_hash(a) != cache.module_hash(b)


def test_a_binary_is_hashed_once(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module loaded from a binary hashes its bytes once: the validated marker and
    tier 1's cache key share the hash (a second pass over QuickJS's 1.1 MB was ~1% of
    every start with a disk cache). Different bytes, different keys."""
    import wasmlite
    from wasmlite import cachedir
    from wasmlite.text import wat2wasm

    monkeypatch.setenv("WASMLITE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(interp, "TIER", "1")
    hashed: List[int] = []
    real = cachedir.hasher
    monkeypatch.setattr(cachedir, "hasher", lambda data=b"": (hashed.append(len(data)), real(data))[1])
    binary = wat2wasm(CALLS)
    module = wasmlite.Module(binary).syntax
    inst = instantiate(module, [], engine.call)
    assert engine.call(inst.exports["fib"], [7]) == [13]
    assert hashed.count(len(binary)) == 1 and max(hashed) == len(binary)
    assert cache.module_hash(module) == module.digest == real(binary).hexdigest()
    assert any(n.startswith(module.digest + "-valid-") for n in os.listdir(tmp_path / module.digest[:2]))
    other = wasmlite.Module(wat2wasm(CALLS.replace("(i32.const 2)", "(i32.const 3)"))).syntax
    assert cache.module_hash(other) != module.digest


def test_explore_python(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from wasmlite.cli import main

    path = tmp_path / "m.wat"
    path.write_text(CALLS)
    assert main(["explore", str(path), "--func", "4", "--python"]) == 0
    out = capsys.readouterr().out
    assert "def wasm_func_4(l0, depth):" in out and "(structured)" in out
    compile(out, "<explore>", "exec")


def test_auto_starts_in_tier1_when_cached(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under auto, a function whose tier-1 code a previous process left on disk runs
    in tier 1 from its first call; the others start in tier 0 as usual."""
    monkeypatch.setenv("WASMLITE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(interp, "TIER", "auto")
    first = load(CALLS)
    assert engine.call(first.exports["fib"], [15]) == [610]  # hot: compiled and cached
    assert isinstance(first.exports["fib"].compiled, codegen.Tier1)
    cache.clear_memory()  # as a new process finds it
    second = load(CALLS)
    assert engine.call(second.exports["fib"], [2]) == [1]
    assert isinstance(second.exports["fib"].compiled, codegen.Tier1)
    assert engine.call(second.exports["even"], [4]) == [1]
    assert isinstance(second.exports["even"].compiled, interp.Compiled)


def test_callers_rebound_to_tier1_callee(monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller compiled before its callee first calls a stub; once the callee is in
    tier 1, the caller calls it directly (no stub frame on every call)."""
    monkeypatch.setattr(interp, "TIER", "1")
    inst = load(CALLS)
    even, odd = inst.exports["even"], inst.exports["odd"]
    assert engine.call(even, [10]) == [1]
    fn = even.compiled.fn
    bound = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__)))
    assert odd.compiled.fn in bound.values()
    assert engine.call(even, [11]) == [0]


def _random_int_expr(rng: random.Random, t: str, depth: int) -> str:
    """A random i32/i64 expression tree over the parameters (a, b) of type ``t``,
    rich in the wrapping operations whose masks tier 1 delays and in rotations by
    constants, which it inlines."""
    if depth == 0 or rng.random() < 0.2:
        if rng.random() < 0.5:
            return f"(local.get {rng.choice('01')})"
        return f"({t}.const {rng.choice([0, 1, -1, 7, 0x7FFFFFFF, -0x80000000, 0xFFFF, -12345])})"
    op = rng.choice(["add", "sub", "mul", "shl", "xor", "shr_u", "shr_s", "and", "rotl", "lt_u", "wrap",
                     "rot_const"])
    a = _random_int_expr(rng, t, depth - 1)
    if op == "rot_const":  # inline in tier 1
        k = rng.choice([0, 1, 8, 31, 32, 33, 63, 64, -1])
        return f"({t}.{rng.choice(['rotl', 'rotr'])} {a} ({t}.const {k}))"
    if op == "wrap":  # through the other width and back
        if t == "i32":
            return f"(i32.wrap_i64 (i64.mul (i64.extend_i32_s {a}) (i64.const -3)))"
        return f"(i64.extend_i32_u (i32.wrap_i64 (i64.sub {a} (i64.const 5))))"
    b = _random_int_expr(rng, t, depth - 1)
    if op == "lt_u":
        cmp = f"({t}.lt_u {a} {b})"
        return f"(i64.extend_i32_u {cmp})" if t == "i64" else cmp
    return f"({t}.{op} {a} {b})"


@pytest.mark.parametrize("seed", range(20))
def test_delayed_masking_agrees_with_tier0(seed: int) -> None:
    """Spliced wrapping operations skip their masks in tier 1, rotations by constants
    are inline; the results must stay exact (tier 0 computes every operation on its
    own)."""
    rng = random.Random(seed)
    funcs = []
    for k in range(8):
        t = rng.choice(["i32", "i64"])
        funcs.append(f'(func (export "f{k}") (param {t} {t}) (result {t}) {_random_int_expr(rng, t, 5)})')
    wat = "(module " + "\n".join(funcs) + ")"
    edges = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000]
    agree_on_edges(rng, wat, funcs, edges[::3], edges[1::3])


def agree_on_edges(rng: random.Random, wat: str, funcs: List[str], xs: List[int], ys: List[int]) -> None:
    """Functions ``f<k>`` of two i32 or i64 parameters give the same results in both
    tiers for every pair of ``xs`` and ``ys`` (cut to the type) and random pairs."""
    for k, func in enumerate(funcs):
        value = i64_of if "(param i64" in func else (lambda x: x & M32)  # the run-time form
        args = [[value(x), value(y)] for x in xs for y in ys]
        args += [[value(rng.getrandbits(64)), value(rng.getrandbits(64))] for _ in range(6)]
        both_tiers(wat, f"f{k}", args)


_F_LEAVES = {
    "f32": ["0", "-0", "1", "-1.5", "0x1.000002p0", "0x1.fffffep127", "0x1p-149", "-0x1p-126", "inf", "-inf",
            "nan", "nan:0x200001", "-nan:0x1", "3.1415927", "1e30", "16777217"],
    "f64": ["0", "-0", "1", "-1.5", "0x1.0000000000001p0", "0x1.fffffffffffffp1023", "0x1p-1074", "inf",
            "-inf", "nan", "nan:0x4000000000001", "-nan:0x1", "3.141592653589793", "1e300", "9007199254740993"],
}


def _random_float_expr(rng: random.Random, t: str, depth: int) -> str:
    """A random f32/f64 expression tree over the parameters (bits, reinterpreted) and
    constants: arithmetic whose f32 results tier 1 rounds its own way, min/max and
    sqrt it inlines, conversions, signed zeros, NaN payloads and overflow."""
    it = "i32" if t == "f32" else "i64"
    if depth == 0 or rng.random() < 0.15:
        if rng.random() < 0.6:
            return f"({t}.reinterpret_{it} (local.get {rng.choice('01')}))"
        return f"({t}.const {rng.choice(_F_LEAVES[t])})"
    a = _random_float_expr(rng, t, depth - 1)
    op = rng.choice(["add", "sub", "mul", "div", "min", "max", "copysign", "add", "mul", "sqrt", "abs", "neg",
                     "nearest", "trunc", "convert", "other"])
    if op in ("sqrt", "abs", "neg", "nearest", "trunc"):
        return f"({t}.{op} {a})"
    if op == "convert":  # through an integer
        return f"({t}.convert_i32_{rng.choice('su')} (i32.trunc_sat_{t}_{rng.choice('su')} {a}))"
    if op == "other":  # through the other width
        if t == "f32":
            return f"(f32.demote_f64 (f64.mul (f64.promote_f32 {a}) (f64.const {rng.choice(['1', '0x1.0000001p0', '1e300', '-0x1p-140'])})))"
        return f"(f64.promote_f32 (f32.demote_f64 {a}))"
    return f"({t}.{op} {a} {_random_float_expr(rng, t, depth - 1)})"


F32_EDGES = [0, 0x80000000, 1, 0x3F800001, 0x3F800000, 0xBF800001, 0x7F7FFFFF, 0x7F800000, 0xFF800000,
             0x7FC00000, 0x7FA00001, 0xFFC00123, 0x00800000, 0x4B800001, 0x3EAAAAAB]
F64_EDGES = [0, 1 << 63, 1, 0x3FF0000000000001, 0x3FF0000010000000, 0x47EFFFFFF0000000, 0x7FEFFFFFFFFFFFFF,
             0x7FF0000000000000, 0x7FF8000000000000, 0x7FF4000000000001, 0xFFF8000000000123, 0x36A0000000000000,
             0x3690000000000001, 0x3FD5555555555555]


def _nan_ok(got: int, want: int, canonical: bool) -> bool:
    """Whether f64 bits ``got`` are a NaN the spec allows where tier 0 gave NaN
    ``want``: a signalling one only comes from abs/neg/copysign (exact), others are
    quiet, canonical where every NaN going in was (``canonical``)."""
    quiet, exp = 1 << 51, 0x7FF0000000000000
    if want & exp != exp or got & exp != exp or not got & (exp | quiet) == exp | quiet:
        return False
    if not want & quiet:
        return False
    return not canonical or got & 0x7FFFFFFFFFFFFFFF == 0x7FF8000000000000


@pytest.mark.parametrize("seed", range(16))
def test_float_code_agrees_with_tier0(seed: int) -> None:
    """Tier 1 rounds f32 results its own way (``ROUND_BY_VIEW``), splices them into
    one another and inlines sqrt, min and max; every intermediate f32 result must
    still be rounded (an f32 result is returned promoted, so an unrounded one
    shows), and values, signed zeros and infinities come out as in tier 0, bit for
    bit; NaNs as the spec allows (which operand's NaN a sum of two NaNs keeps is
    the hardware's choice, and differs between the tiers' code)."""
    rng = random.Random(seed)
    funcs = []
    for k in range(6):
        t = rng.choice(["f32", "f64"])
        it = "i32" if t == "f32" else "i64"
        body = _random_float_expr(rng, t, 4)
        if t == "f32":
            body = f"(f64.promote_f32 {body})"
        funcs.append(f'(func (export "f{k}") (param {it} {it}) (result i64) (i64.reinterpret_f64 {body}))')
    wat = "(module " + "\n".join(funcs) + ")"
    tiers = [load(wat), load(wat)]
    to_tier1(tiers[1])
    for k, func in enumerate(funcs):
        small = "(param i32" in func
        edges = F32_EDGES if small else F64_EDGES
        args = [[x, y] for x in edges for y in edges[::2]]
        args += [[rng.getrandbits(32 if small else 64) for _ in "xy"] for _ in range(8)]
        exp, mant = (0x7F800000, 0x3FFFFF) if small else (0x7FF0000000000000, (1 << 51) - 1)
        for a in args:
            passed = a if small else [i64_of(x) for x in a]  # (the run-time i64 form)
            want, got = (engine.call(inst.exports[f"f{k}"], passed)[0] & 0xFFFFFFFFFFFFFFFF for inst in tiers)
            canonical = "nan:" not in func and not any(x & exp == exp and x & mant for x in a)
            assert got == want or _nan_ok(got, want, canonical), (func, [hex(x) for x in a], hex(got), hex(want))


def test_f32_intermediates_are_rounded() -> None:
    """Fixed cases where leaving out one rounding of an f32 intermediate changes the
    result: a product rounded before a sum cancels it; a sum past the largest f32
    is infinity, not a double; a quotient's, a square root's and a conversion's
    rounding; f32 results kept in locals across a loop."""
    wat = """(module
     (func (export "fma") (param f32 f32 f32) (result f64)
       (f64.promote_f32 (f32.add (f32.mul (local.get 0) (local.get 1)) (local.get 2))))
     (func (export "over") (param f32) (result f64)
       (f64.promote_f32 (f32.sub (f32.add (local.get 0) (local.get 0)) (local.get 0))))
     (func (export "div") (param f32 f32) (result f64)
       (f64.promote_f32 (f32.mul (f32.div (local.get 0) (local.get 1)) (local.get 1))))
     (func (export "sqrt") (param f32) (result f64)
       (f64.promote_f32 (f32.mul (f32.sqrt (local.get 0)) (f32.sqrt (local.get 0)))))
     (func (export "conv") (param i32) (result f64)
       (f64.promote_f32 (f32.sub (f32.convert_i32_u (local.get 0)) (f32.const 16777216))))
     (func (export "demote") (param f64) (result f64) (f64.promote_f32 (f32.demote_f64 (local.get 0))))
     (func (export "demote_bits") (param i64) (result i32) (i32.reinterpret_f32 (f32.demote_f64 (f64.reinterpret_i64 (local.get 0)))))
     (func (export "loop") (param i32) (result f64) (local f32)
       (loop $l (local.set 1 (f32.add (local.get 1) (f32.const 0.1)))
         (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
       (f64.promote_f32 (local.get 1))))"""
    one = 1.0000001192092896  # 1 + 2**-23
    assert both_tiers(wat, "fma", [[one, one, -1.0000002384185791]]) == [[0.0]]
    assert both_tiers(wat, "over", [[3.4028234663852886e38]]) == [[float("inf")]]
    assert both_tiers(wat, "div", [[7.0, 13.0]]) == [[7.000000476837158]]
    assert both_tiers(wat, "sqrt", [[2.0]]) == [[1.9999998807907104]]
    assert both_tiers(wat, "conv", [[16777217]]) == [[0.0]]
    got = both_tiers(wat, "demote", [[3.4028235677973366e38], [1e-50], [-1e-50], [0.1]])
    assert _exact(got) == _exact([[float("inf")], [0.0], [-0.0], [0.10000000149011612]])
    # signalling NaNs, with low payload bits: quiet, sign and top payload bits kept
    assert both_tiers(wat, "demote_bits", [[i64_of(0x7FF4000020000001)], [i64_of(0xFFF0000000000001)]]) == [[0x7FE00001], [0xFFC00000]]
    assert both_tiers(wat, "loop", [[10]]) == [[1.0000001192092896]]


def test_host_index_error_is_not_an_out_of_bounds_trap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tier 1 turns an IndexError from its own byte accesses into the trap; one
    raised by a host function it calls passes through unchanged, as in tier 0."""
    def host(x: int) -> int:
        raise IndexError("the host's own")

    wat = """(module (import "env" "h" (func $h (param i32) (result i32))) (memory 1)
      (func (export "f") (param i32) (result i32)
        (i32.add (i32.load8_u (local.get 0)) (call $h (local.get 0)))))"""
    module = parse_module(wat)
    validate_module(module)
    for tier in ("0", "1"):
        monkeypatch.setattr(interp, "TIER", tier)
        imports = [HostFunction(syntax.FuncType((syntax.I32,), (syntax.I32,)), host, "h")]
        inst = instantiate(module, imports, engine.call)
        with pytest.raises(IndexError, match="the host's own"):
            engine.call(inst.exports["f"], [1])
        with pytest.raises(Trap, match="out of bounds memory access"):
            engine.call(inst.exports["f"], [70000])


# -- value-range facts (numeric.ranges) --------------------------------------------------


def _ranged_operand(rng: random.Random, n: int, bound: Any) -> int:
    """A value with the bound ``bound`` (None: the width), or for ``CONGRUENT`` an
    integer congruent to some value, possibly negative or past the width."""
    if bound == ranges.CONGRUENT:
        return rng.getrandbits(n) + rng.choice([-2, -1, 0, 1, 3]) * (1 << n)
    b = n if bound is None else bound
    return rng.choice([0, 1, (1 << b) - 1, 1 << max(b - 1, 0), rng.getrandbits(b)]) if b else 0


def test_a_zero_or_one_added_is_tested_first() -> None:
    """``x + y`` for a ``y`` of 0 or 1 (C's ``hits += k == n``) tests ``y`` and adds
    only a 1, wrapping at the width's end; a ``y`` of two bits keeps another form."""
    for t, n in ranges.WIDTHS.items():  # (i64 too where its values are unsigned)
        M = (1 << n) - 1
        for ybits, ys in ((1, (0, 1)), (2, (0, 1, 2, 3))):
            for p in (0, 1):
                bits = [n, n]
                bits[1 - p] = ybits
                ops = ["x", "x"]
                ops[1 - p] = "y"
                expr, bound = ranges.render(f"{t}.add", ops, bits, [None, None], False,
                                            lambda e: (e, e), [None, None])  # type: ignore[misc]
                assert (" if y else x)" in expr) == (ybits == 1) and bound == n
                for x in (0, 1, 2, M - 1, M):
                    for y in ys:
                        assert eval(expr, {}, {"x": x, "y": y}) == (x + y) & M, (expr, x, y)


@pytest.mark.parametrize("name", sorted(
    f"{t}.{op}" for t in ("i32", "i64") for op in
    ("add", "sub", "mul", "shl", "shr_u", "shr_s", "and", "or", "xor", "div_u", "rem_u", "div_s", "rem_s",
     "extend8_s", "extend16_s", "eqz", "lt_s")) + ["i32.wrap_i64", "i64.extend_i32_u", "i64.extend_i32_s", "i64.extend32_s"])
def test_ranges_render_is_exact(name: str) -> None:
    """Every cheaper form ``ranges`` renders computes the template's value (congruent
    to it where the consumer masks), within the bound it claims, for operands
    within their bounds (and intervals) and constants of every kind (zero, ones, signs,
    powers of 2)."""
    rng = random.Random(name)
    template = NUMERIC[name]
    n = 64 if name.startswith("i64") else 32
    widths = [n] * template.arity
    if name == "i32.wrap_i64":
        widths = [64]
    elif name.startswith("i64.extend_i32"):
        widths = [32]
    consts_pool = [0, 1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 255, 65521, (1 << 31) - 1, 1 << 31,
                   (1 << 32) - 1, (1 << 32) - 977, (1 << 31) + 1, (1 << 63), (1 << 64) - 1, (1 << 64) - 5,
                   (1 << 64) - 977, (1 << 63) + 1]
    scratch_names = iter(f"w{k}" for k in range(10 ** 6))

    def scratch(x: str) -> Any:
        w = next(scratch_names)
        return f"({w} := {x})", w

    evaluate = numeric.evaluator(name)
    for _ in range(400):
        bounds = [rng.choice([None, ranges.CONGRUENT, 1, 3, 5, 6, 7, 8, 16, 31, w - 1, w]) for w in widths]
        consts = [None] * len(widths)
        values = []
        for k, w in enumerate(widths):
            if rng.random() < 0.4:
                c = rng.choice([c for c in consts_pool if c < 1 << w])
                consts[k], bounds[k] = c, c.bit_length()
                values.append(c)
            else:
                values.append(_ranged_operand(rng, w, bounds[k]))
        congruent_ok = rng.random() < 0.5
        if any(b == ranges.CONGRUENT and not ranges.accepts_congruent(name, i) for i, b in enumerate(bounds)):
            continue  # a consumer never gets an unmasked operand it does not accept
        spans: List[Any] = [(c, c) if c is not None else None for c in consts]
        for k, (v, w) in enumerate(zip(values, widths)):  # an interval around an exact operand
            if consts[k] is None and bounds[k] != ranges.CONGRUENT and rng.random() < 0.4:
                near = [0, 1, 2, 7, 1 << 20, 1 << w]
                spans[k] = (max(v - rng.choice(near), 0), min(v + rng.choice(near), (1 << w) - 1))
                bounds[k] = min(bounds[k] or w, spans[k][1].bit_length())
        ops = [str(c) if c is not None else f"v{k}" for k, c in enumerate(consts)]
        out = ranges.render(name, ops, bounds, consts, congruent_ok, scratch, spans)
        if out is None:
            continue
        expr, bound = out
        got = eval(expr, {}, {f"v{k}": v for k, v in enumerate(values)})
        exact = [v % (1 << w) for v, w in zip(values, widths)]
        if name.endswith(("div_u", "rem_u", "div_s", "rem_s")) and not exact[1]:
            continue
        want = evaluate(*exact)
        if bound == ranges.CONGRUENT:
            assert congruent_ok and (got - want) % (1 << n) == 0, (expr, values)
        else:
            assert got == want and 0 <= got < 1 << bound, (expr, values, got, want, bound)


def _ranged_expr(rng: random.Random, t: str, depth: int) -> str:
    """A random expression rich in what ``ranges`` looks at: operations by
    constants, narrow loads, masks by constants, signed shifts, extensions."""
    if depth == 0 or rng.random() < 0.15:
        leaf = rng.choice(["param", "param", "const", "load"])
        if leaf == "param":
            return f"(local.get {rng.choice('01')})"
        if leaf == "const":
            return f"({t}.const {rng.choice([0, 1, 3, 255, 65521, -1, -2, 0x7FFFFFFF, -0x80000000])})"
        load = rng.choice(["load8_u", "load16_u", "load8_s", "load"] + (["load32_u", "load32_s"] if t == "i64" else []))
        return f"({t}.{load} offset={rng.choice([0, 1, 3])} (i32.and (i32.wrap_i64 (i64.extend_i32_u (i32.const {rng.getrandbits(16)}))) (i32.const 0xFFF)))"
    a = _ranged_expr(rng, t, depth - 1)
    op = rng.choice(["add", "sub", "mul", "shl", "shr_u", "shr_s", "and", "or", "xor", "div_u", "rem_u",
                     "div_s", "rem_s", "extend8_s", "extend16_s", "eqz"])
    if op in ("extend8_s", "extend16_s"):
        return f"({t}.{op} {a})"
    if op == "eqz":
        return f"({t}.eqz {a})" if t == "i32" else f"(i64.extend_i32_u (i64.eqz {a}))"
    if rng.random() < 0.6:  # by a constant
        b = f"({t}.const {rng.choice([0, 1, 2, 3, 5, 8, 16, 31, 32, 63, 64, 255, 4096, 65521, -1, -16, -977, 0x80000000])})"
    else:
        b = _ranged_expr(rng, t, depth - 1)
    if op == "div_s":  # (by -1 it may trap)
        b = f"({t}.const -3)" if b.endswith(" -1)") else b if b.startswith(f"({t}.const") else f"({t}.shr_u {b} ({t}.const 1))"
    if op in ("div_u", "rem_u", "div_s", "rem_s"):
        b = f"({t}.or {b} ({t}.const 1))" if not b.startswith(f"({t}.const") or b.endswith(" 0)") else b
        if b.endswith(" 0)"):
            b = f"({t}.const 7)"
    return f"({t}.{op} {a} {b})"


@pytest.mark.parametrize("seed", range(16))
def test_value_ranges_agree_with_tier0(seed: int) -> None:
    """Tier 1 drops masks its bounds prove useless, adds constants by a compare, and
    splices values into narrow stores, loads and branch conditions: the results
    (and what is stored) must equal tier 0's, which computes each operation alone."""
    rng = random.Random(seed)
    funcs = []
    for k in range(6):
        t = rng.choice(["i32", "i64"])
        store = rng.choice(["store8", "store16", "store"] + (["store32"] if t == "i64" else []))
        funcs.append(f"""(func (export "f{k}") (param {t} {t}) (result {t})
          ({t}.{store} offset=5 (i32.const 64) {_ranged_expr(rng, t, 4)})
          (block (br_if 0 ({t}.ne {_ranged_expr(rng, t, 3)} {_ranged_expr(rng, t, 2)}))
                 (local.set 0 ({t}.const 12345)))
          (block (br_if 0 ({t}.lt_s {_ranged_expr(rng, t, 3)} ({t}.const -7)))
                 (local.set 1 ({t}.add (local.get 1) ({t}.const 1))))
          ({t}.add ({t}.xor (local.get 0) (local.get 1))
             ({t}.add ({t}.load offset=5 (i32.const 64)) {_ranged_expr(rng, t, 5)})))""")
    data = bytes(rng.getrandbits(8) for _ in range(4200))
    escaped = "".join("\\%02x" % b for b in data)
    wat = f'(module (memory 1) (data (i32.const 0) "{escaped}")' + "\n".join(funcs) + ")"
    edges = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFF0]
    agree_on_edges(rng, wat, funcs, edges[::2], edges[1::2])


def _local_statement(rng: random.Random, t: str, nlocals: int) -> str:
    """A statement of a straight run over locals 0..nlocals-1: a local set from an
    operation on locals (wrapping, bitwise, shifts both ways, signed loads, compares),
    a narrow store of one, or an ``if`` writing one (a branch and a merge)."""
    def get() -> str:
        return f"(local.get {rng.randrange(nlocals)})"

    kind = rng.random()
    if kind < 0.12:
        store = rng.choice(["store8", "store16", "store"] + (["store32"] if t == "i64" else []))
        return f"({t}.{store} offset={rng.choice([0, 8, 16])} (i32.const 64) {get()})"
    if kind < 0.22:
        return f"(if ({t}.lt_u {get()} {get()}) (then (local.set {rng.randrange(nlocals)} {get()})))"
    op = rng.choice(["add", "add", "sub", "mul", "shl", "xor", "xor", "or", "and", "rotl", "shr_u", "shr_s",
                     "rem_s", "lt_s", "load8_s", "load16_s"] + (["load32_s"] if t == "i64" else []))
    if op.startswith("load"):
        e = f"({t}.{op} offset={rng.choice([0, 1, 3])} (i32.and (i32.wrap_i64 (i64.extend_i32_u {get() if t == 'i32' else f'(i32.wrap_i64 {get()})'})) (i32.const 0xFFF)))"
        e = f"({t}.{rng.choice(['add', 'xor', 'sub'])} {get()} {e})"
    elif op == "lt_s":
        e = f"({t}.lt_s {get()} {get()})" if t == "i32" else f"(i64.extend_i32_u (i64.lt_s {get()} {get()}))"
    elif op == "rem_s":
        e = f"({t}.rem_s {get()} ({t}.const {rng.choice([3, -7, 977])}))"
    else:
        b = get() if rng.random() < 0.5 else f"({t}.const {rng.choice([0, 1, 5, 13, 31, -1, -8, 0x7FFFFFFF, -0x80000000])})"
        e = f"({t}.{op} {get()} {b})"
    return f"(local.set {rng.randrange(nlocals)} {e})"


@pytest.mark.parametrize("seed", range(12))
def test_locals_rewritten_in_a_run_agree_with_tier0(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local whose every read before its next write in the same straight run
    masks (``_unmasked``) is left unmasked: random runs of statements over four
    locals (branches, merges, loops, stores and compares in between) give tier 0's
    results and memory (odd seeds: with a look-ahead of 3 instructions, which the
    next write must fall in)."""
    rng = random.Random(seed)
    if seed % 2:
        monkeypatch.setattr(codegen, "UNMASKED_SCAN", 3)
    funcs = []
    for k in range(6):
        t = rng.choice(["i32", "i64"])
        body = " ".join(_local_statement(rng, t, 4) for _ in range(rng.randrange(6, 20)))
        loop = " ".join(_local_statement(rng, t, 4) for _ in range(rng.randrange(2, 10)))
        funcs.append(f"""(func (export "f{k}") (param {t} {t}) (result {t}) (local {t} {t}) (local $n i32)
          {body}
          (loop $l {loop}
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $n) (i32.const 3))))
          {" ".join(_local_statement(rng, t, 4) for _ in range(rng.randrange(2, 8)))}
          ({t}.add ({t}.xor ({t}.xor (local.get 0) (local.get 1)) ({t}.xor (local.get 2) (local.get 3)))
             ({t}.add ({t}.load offset=8 (i32.const 64)) ({t}.load16_u offset=16 (i32.const 64)))))""")
    data = bytes(rng.getrandbits(8) for _ in range(4200))
    escaped = "".join("\\%02x" % b for b in data)
    wat = f'(module (memory 1) (data (i32.const 0) "{escaped}")' + "\n".join(funcs) + ")"
    edges = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFF0]
    agree_on_edges(rng, wat, funcs, edges[::2], edges[1::2])


UNMASKED_LOCALS = """(module (memory 1)
 (func (export "f0") (param i32 i32) (result i32)
   ;; h = h + x; h ^= y; h = h * 33 + x: only the last write is seen
   (local.set 0 (i32.add (local.get 0) (local.get 1)))
   (local.set 0 (i32.xor (local.get 0) (i32.load8_s (i32.and (local.get 1) (i32.const 0xFFF)))))
   (local.set 0 (i32.add (i32.mul (local.get 0) (i32.const 33)) (local.get 1)))
   (local.get 0))
 (func (export "f1") (param i32 i32) (result i32)
   ;; a shift right reads the sum: it must be exact
   (local.set 0 (i32.add (local.get 0) (local.get 1)))
   (local.set 1 (i32.shr_u (local.get 0) (i32.const 3)))
   (local.set 0 (i32.xor (local.get 0) (local.get 1)))
   (local.get 0))
 (func (export "f2") (param i32 i32) (result i32)
   ;; a branch comes before the next write: the sum leaves the run
   (local.set 0 (i32.add (local.get 0) (local.get 1)))
   (local.set 1 (i32.xor (local.get 1) (local.get 0)))
   (if (i32.and (local.get 1) (i32.const 1)) (then (local.set 1 (i32.const 7))))
   (local.set 0 (i32.xor (local.get 0) (local.get 1)))
   (local.get 0))
 (func (export "f3") (param i32 i32) (result i32)
   ;; a branch out of the block before the next write: the exit sees the sum
   (block $b
     (local.set 0 (i32.add (local.get 0) (local.get 1)))
     (local.set 1 (i32.xor (local.get 1) (local.get 0)))
     (br_if $b (i32.and (local.get 1) (i32.const 1)))
     (local.set 0 (i32.xor (local.get 0) (i32.const 5))))
   (i32.xor (local.get 0) (local.get 1)))
 (func (export "f4") (param i32 i32) (result i32)
   ;; the next reader is a loop's head, a merge: it stays exact for the back edge
   (local.set 0 (i32.add (local.get 0) (i32.const 8)))
   (loop $l
     (local.set 0 (i32.add (local.get 0) (i32.const 1)))
     (br_if $l (i32.lt_u (local.get 0) (i32.and (local.get 1) (i32.const 0xFFFF)))))
   (local.get 0))
)"""


def test_locals_unmasked_until_written_again() -> None:
    """Locals go unmasked only up to their next write in the same straight run, and
    only when every read before it masks; a signed byte feeding such a read is the
    view's item as it is."""
    edges = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x9E3779B9, 0xFFF]
    for name in ("f0", "f1", "f2", "f3", "f4"):
        both_tiers(UNMASKED_LOCALS, name, [[x, y] for x in edges for y in edges])
    cache.clear_memory()
    inst = load(UNMASKED_LOCALS)
    to_tier1(inst)
    src = [f.compiled.gen.source for f in inst.funcs]
    assert "l0 = l0 + l1\n" in src[0] and "l0 = (l0 + l1) & 0xFFFFFFFF\n" in src[1]
    assert "l0 = (l0 + l1) & 0xFFFFFFFF\n" in src[2] and "l0 = l0 + 1 if l0 < 4294967295" in src[4]
    if VIEW_ACCESSES:
        assert "l0 = l0 ^ Vb[(l1 & 4095)]\n" in src[0]


# -- memory through views (MemoryInstance.view) -----------------------------------------

VIEWS = """(module
 (memory (export "mem") 0 4)
 (func $grow (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 (func (export "store_load") (param i32 i64) (result i64)
   (i32.store (local.get 0) (i32.wrap_i64 (local.get 1)))
   (i64.store offset=8 (local.get 0) (local.get 1))
   (i32.store16 offset=16 (local.get 0) (i32.wrap_i64 (local.get 1)))
   (i64.store32 offset=20 (local.get 0) (local.get 1))
   (i64.add (i64.add (i64.extend_i32_u (i32.load (local.get 0))) (i64.load offset=8 (local.get 0)))
            (i64.add (i64.load16_u offset=16 (local.get 0))
                     (i64.add (i64.load32_u offset=20 (local.get 0))
                              (i64.extend_i32_u (i32.load16_u offset=17 (local.get 0)))))))
 (func (export "load_grow_load") (param i32) (result i32)
   ;; a view read before and after a callee grows the memory it views
   (i32.store (i32.const 0) (i32.const 7))
   (i32.add (i32.load (i32.const 0))
            (i32.add (i32.mul (call $grow (i32.const 1)) (i32.const 1000))
                     (i32.load (local.get 0)))))
 (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
 (func (export "load64") (param i32) (result i64) (i64.load offset=4 (local.get 0)))
 (func (export "store32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
 (func (export "store16") (param i32 i32) (i32.store16 offset=1 (local.get 0) (local.get 1)))
)"""


def test_view_accesses_aligned_unaligned_and_out_of_bounds() -> None:
    """Tier 1 reads and writes aligned items through views of the memory and the
    rest through struct: both agree with tier 0, and an access reaching past the
    end (aligned or not, by one byte or many) traps as out of bounds."""
    end = 65536
    values = [i64_of(v) for v in (0, 1, 0xFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0x0123456789ABCDEF)]
    for tier in (0, 1):
        inst = load(VIEWS)
        if tier:
            to_tier1(inst)
        assert engine.call(inst.exports["grow"], [1]) == [0]
        results = [engine.call(inst.exports["store_load"], [a, v])
                   for a in (0, 1, 2, 3, 4, 6, 8, end - 24) for v in values]
        if tier:
            assert results == expected
        expected = results
        for name, args in [("load32", [end - 3]), ("load32", [end]), ("load32", [end - 2]),
                           ("load32", [0xFFFFFFFC]), ("load64", [end - 8]), ("load64", [end - 4]),
                           ("load64", [0xFFFFFFFC]), ("store32", [end, 1]), ("store32", [end - 2, 1]),
                           ("store16", [end - 2, 1]), ("store16", [end - 1, 1]), ("store32", [0xFFFFFFFC, 5])]:
            with pytest.raises(Trap, match="out of bounds memory access"):
                engine.call(inst.exports[name], args)
        engine.call(inst.exports["store32"], [end - 8, 0])
        engine.call(inst.exports["store32"], [end - 4, 0])
        engine.call(inst.exports["store16"], [end - 3, 0x1234])
        assert engine.call(inst.exports["load32"], [end - 4]) == [0x12340000]
        assert engine.call(inst.exports["load64"], [end - 12]) == [0x1234000000000000]


def test_functions_over_the_view_limit_use_struct_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function bigger than VIEW_MAX_INSTRUCTIONS (here: any) reads and writes
    through struct only, with the same results and traps as tier 0."""
    monkeypatch.setattr(codegen, "VIEW_MAX_INSTRUCTIONS", 0)
    insts = [load(VIEWS) for _ in range(2)]
    to_tier1(insts[1])
    assert not any("view" in kind for f in insts[1].funcs for _, kind, _ in f.compiled.gen.bindings)
    for inst in insts:
        engine.call(inst.exports["grow"], [1])
    for a in (0, 1, 3, 8, 65536 - 16, 131072 - 4, 131072 - 2, 0xFFFFFFFC):
        assert _outcome(insts[0], "store_load", [a, 0x0123456789ABCDEF]) == _outcome(insts[1], "store_load", [a, 0x0123456789ABCDEF])


def _scalar_accesses_module() -> str:
    """Every scalar load and store of memory 0, each as a function on i64 bits: a load
    ``l_<op>`` of a parameter's address and of a constant unaligned one (``c_<op>``),
    a store ``s_<op>`` of an address and a value."""
    to64 = {"i32": "(i64.extend_i32_u {})", "i64": "{}", "f32": "(i64.extend_i32_u (i32.reinterpret_f32 {}))",
            "f64": "(i64.reinterpret_f64 {})"}
    of64 = {"i32": "(i32.wrap_i64 {})", "i64": "{}", "f32": "(f32.reinterpret_i32 (i32.wrap_i64 {}))",
            "f64": "(f64.reinterpret_i64 {})"}
    funcs = []
    for op in sorted(set(LOADS) | set(STORES)):
        t = op[:3]
        if t == "v12":
            continue
        name = op.replace(".", "_")
        if op in LOADS:
            funcs.append(f'(func (export "l_{name}") (param i32) (result i64) {to64[t].format(f"({op} (local.get 0))")})')
            funcs.append(f'(func (export "c_{name}") (result i64) {to64[t].format(f"({op} offset=2 (i32.const 65533))")})')
        else:
            funcs.append(f'(func (export "s_{name}") (param i32 i64) ({op} (local.get 0) {of64[t].format("(local.get 1)")}))')
    return "(module (memory 1)\n " + "\n ".join(funcs) + ")"


@pytest.mark.parametrize("by_format", [False, True])
@pytest.mark.parametrize("views", [False, True])
def test_struct_accesses_by_format(monkeypatch: pytest.MonkeyPatch, by_format: bool, views: bool) -> None:
    """Under ``STRUCT_BY_FORMAT`` (PyPy's default) struct accesses name their format
    as a literal (``unpack_from('<I', M0, a)``) instead of calling a bound ``Struct``
    method; either way every scalar load and store, aligned or not, in bounds or
    past the end, reads, writes and traps as in tier 0."""
    monkeypatch.setattr(codegen, "STRUCT_BY_FORMAT", by_format)
    if not views:
        monkeypatch.setattr(codegen, "VIEW_MAX_INSTRUCTIONS", 0)
    wat = _scalar_accesses_module()
    insts = [load(wat) for _ in range(2)]
    to_tier1(insts[1])
    sources = "\n".join(f.compiled.gen.source for f in insts[1].funcs)
    kinds = {kind for f in insts[1].funcs for _, kind, _ in f.compiled.gen.bindings}
    assert ("unpack_from('<" in sources and "pack_into('<" in sources) == by_format
    assert ("U_i32_load" in sources or "P_i32_store" in sources) != by_format
    assert ("struct" in kinds) == by_format and ("unpack" in kinds or "pack" in kinds) != by_format
    end = 65536
    values = [0, 1, 0x80, 0xFFFF8001, 0x7FA00001, 0x7FF8000000000001, 0xFFFFFFFFFFFFFFFF]
    for name in sorted(insts[0].exports):
        if name.startswith("c_"):
            assert _outcome(insts[1], name, []) == _outcome(insts[0], name, [])
        for a in (0, 1, 3, 6, end - 8, end - 4, end - 3, end - 1, end, 0xFFFFFFFF):
            if name.startswith("l_"):
                assert _outcome(insts[1], name, [a]) == _outcome(insts[0], name, [a]), (name, a)
            elif name.startswith("s_"):
                for v in values:
                    got = [_outcome(inst, name, [a, i64_of(v)]) for inst in insts]
                    assert got[0] == got[1] and bytes(insts[0].mems[0].data) == bytes(insts[1].mems[0].data), (name, a, v)
    assert any(bytes(insts[0].mems[0].data))


@pytest.mark.parametrize("address", [0, 65536, 65537, 131072 - 4])
def test_views_follow_memory_grow(address: int) -> None:
    """A callee growing the memory renews the views tier-1 code reads through: the
    caller reads the new pages (and the old ones) right after the call, and a
    read past the new end still traps."""
    inst = load(VIEWS)
    to_tier1(inst)
    engine.call(inst.exports["grow"], [1])
    assert engine.call(inst.exports["load_grow_load"], [address]) == [7 + 1000 + (7 if address == 0 else 0)]
    engine.call(inst.exports["store32"], [131072 - 4, 99])
    assert engine.call(inst.exports["load32"], [131072 - 4]) == [99]
    with pytest.raises(Trap, match="out of bounds memory access"):
        engine.call(inst.exports["load32"], [131072 + 4 * 65536])
    assert engine.call(inst.exports["grow"], [2]) == [2]  # up to the maximum
    engine.call(inst.exports["store32"], [4 * 65536 - 4, 5])
    assert engine.call(inst.exports["load32"], [4 * 65536 - 4]) == [5]
    assert engine.call(inst.exports["grow"], [1]) == [0xFFFFFFFF]


@pytest.mark.skipif(not VIEW_ACCESSES, reason="tier 1 uses views on CPython only (and a view blocks resizing there)")
def test_grow_fails_while_the_host_holds_a_view() -> None:
    """A view the host holds still blocks growth (memory.grow returns -1, as it may),
    and tier 1's own views survive the failed attempt."""
    inst = load(VIEWS)
    to_tier1(inst)
    mem = inst.mems[0]
    assert engine.call(inst.exports["grow"], [1]) == [0]
    engine.call(inst.exports["store32"], [8, 42])
    host_view = memoryview(mem.data)
    assert engine.call(inst.exports["grow"], [1]) == [0xFFFFFFFF]
    assert engine.call(inst.exports["load32"], [8]) == [42]
    engine.call(inst.exports["store32"], [12, 43])
    assert host_view[12] == 43
    host_view.release()
    assert engine.call(inst.exports["grow"], [1]) == [1]
    assert engine.call(inst.exports["load32"], [12]) == [43]
    assert engine.call(inst.exports["load32"], [65536 + 8]) == [0]


VIEW_FORMATS = """(module
 (memory 1)
 (func (export "f64_bits") (param i32 i64) (result i64)
   (f64.store (local.get 0) (f64.reinterpret_i64 (local.get 1)))
   (i64.reinterpret_f64 (f64.load (local.get 0))))
 (func (export "f32_bits") (param i32 i32) (result i32)
   (f32.store (local.get 0) (f32.reinterpret_i32 (local.get 1)))
   (i32.reinterpret_f32 (f32.load (local.get 0))))
 (func (export "signed") (param i32 i32) (result i64)
   (i32.store (local.get 0) (local.get 1))
   (i64.add (i64.extend_i32_u (i32.load16_s (local.get 0)))
            (i64.add (i64.load16_s offset=2 (local.get 0)) (i64.load32_s (local.get 0)))))
 (func (export "const_aligned") (result i32)
   (i32.store (i32.const 65532) (i32.const 0x01020304))
   (i64.store offset=8 (i32.const 65512) (i64.const -2))
   (i32.add (i32.load (i32.const 65532)) (i32.wrap_i64 (i64.load offset=8 (i32.const 65512)))))
 (func (export "const_unaligned") (result i32)
   (i32.store (i32.const 65530) (i32.const 0x01020304))
   (i32.load offset=1 (i32.const 65529)))
 (func (export "const_load_oob") (result i32) (i32.load (i32.const 65536)))
 (func (export "const_load_oob_unaligned") (result i32) (i32.load offset=65533 (i32.const 0)))
 (func (export "const_store_oob") (i64.store (i32.const 65536) (i64.const 1)))
 (func (export "const_store_oob_unaligned") (f64.store offset=2 (i32.const 65530) (f64.const 1)))
)"""


def test_view_formats_keep_bits_and_signs() -> None:
    """Floats go through the views with their bits (NaN payloads, signalling ones
    too), signed items sign-extend, and constant addresses (aligned or not, in
    bounds or past the end) read and trap as tier 0 does."""
    nans64 = [i64_of(x) for x in (0x7FF0000000000001, 0xFFF4000000000000, 0x7FF8000000000123, 0x8000000000000000, 1)]
    nans32 = [0x7F800001, 0xFFA00000, 0x7FC00123, 0x80000000, 1]
    both_tiers(VIEW_FORMATS, "f64_bits", [[a, x] for a in (0, 8, 3) for x in nans64])
    both_tiers(VIEW_FORMATS, "f32_bits", [[a, x] for a in (0, 4, 1) for x in nans32])
    assert both_tiers(VIEW_FORMATS, "f64_bits", [[16, x] for x in nans64]) == [[x] for x in nans64]
    assert both_tiers(VIEW_FORMATS, "f32_bits", [[16, x] for x in nans32]) == [[x] for x in nans32]
    both_tiers(VIEW_FORMATS, "signed", [[a, x] for a in (0, 4, 2, 1) for x in (0, 0x7FFF, 0x8000, 0xFFFF8000, 0x80008000)])
    assert both_tiers(VIEW_FORMATS, "const_aligned", [[]]) == [[0x01020304 + 0xFFFFFFFE & 0xFFFFFFFF]]
    assert both_tiers(VIEW_FORMATS, "const_unaligned", [[]]) == [[0x01020304]]
    inst = load(VIEW_FORMATS)
    to_tier1(inst)
    for name in ("const_load_oob", "const_load_oob_unaligned", "const_store_oob", "const_store_oob_unaligned"):
        with pytest.raises(Trap, match="out of bounds memory access"):
            engine.call(inst.exports[name], [])


ALIGNED = """(module
 (memory 1)
 (func (export "f0") (param i32) (result i32) (i32.load offset=4 (i32.shl (local.get 0) (i32.const 2))))
 (func (export "f1") (param i32) (result i32) (i32.load offset=2 (i32.shl (local.get 0) (i32.const 2))))
 (func (export "f2") (param i32) (result i64) (i64.load (i32.add (i32.mul (local.get 0) (i32.const 24)) (i32.const 65520))))
 (func (export "f3") (param i32) (result i32) (i32.load16_s offset=6 (i32.and (local.get 0) (i32.const -4))))
 (func (export "f4") (param i32) (result i32)
   (i32.store (i32.shl (local.get 0) (i32.const 2)) (i32.const 0x11223344))
   (i64.store32 offset=8 (i32.shl (local.get 0) (i32.const 3)) (i64.const -1))
   (i32.load offset=12 (i32.shl (local.get 0) (i32.const 2))))
)"""


def _outcome(inst: ModuleInstance, name: str, args: List[Any]) -> Any:
    try:
        return engine.call(inst.exports[name], args)
    except Trap as t:
        return str(t)


def test_addresses_known_aligned_skip_the_check() -> None:
    """An address whose low bits are known zero (a shift, a product, a mask, plus an
    aligned offset) indexes a view with no alignment check; one that may not be
    aligned keeps it. Values and out-of-bounds traps agree with tier 0, wrap-around
    of the address computation included."""
    xs = [0, 1, 2, 3, 5, 16383, 16384, 16385, 2730, 2731, 0x3FFFFFFF, 0x40000000, 0x40000001,
          0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFFE, 0xC0000000, 0xAAAAAAAB]
    insts = [load(ALIGNED) for _ in range(2)]
    to_tier1(insts[1])
    source = "\n".join(f.compiled.gen.source for f in insts[1].funcs)
    if VIEW_ACCESSES:
        assert "if not" in source and "VI[" in source and f"V{VIEW_ACCESSES['i64.load']}[" in source
    for name in ("f0", "f1", "f2", "f3", "f4"):
        for x in xs:
            assert _outcome(insts[0], name, [x]) == _outcome(insts[1], name, [x]), (name, x)


WRAPPED = r"""(module
 (memory 1)
 (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18")
 (func (export "f0") (param i32) (result i32) (i32.load offset=4 (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const 16))))
 (func (export "f1") (param i32) (result i32) (i32.load (i32.shl (local.get 0) (i32.const 2))))
 (func (export "f2") (param i32) (result i64) (i64.load (i32.add (i32.const 65528) (i32.shl (local.get 0) (i32.const 3)))))
 (func (export "f3") (param i32) (result i32)
   (i32.store offset=8 (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const 4)) (i32.const 0x55667788))
   (i32.load (i32.const 12)))
)"""


def test_wrapping_scaled_addresses_index_views_modulo() -> None:
    """An address ``(x << k) + c`` that may wrap indexes a view of ``2**k``-byte items
    with ``(x + (c >> k)) & (2**(32 - k) - 1)``: where the sum wraps round to the
    start of memory, it reads and writes there (no shift, and no trap), as tier 0."""
    xs = [0, 1, 2, 5, 0x3FFFFFFB, 0x3FFFFFFC, 0x3FFFFFFD, 0x3FFFFFFF, 0x40000000, 0x40000001,
          0x7FFFFFFF, 0x80000002, 0xBFFFFFFD, 0xFFFFFFFB, 0xFFFFFFFF, 0x1FFFFFFF, 0x20000000, 0x3FFF,
          0xFFFFE003, 0x1FFFE003, 0x1FFFE002]
    insts = [load(WRAPPED) for _ in range(2)]
    to_tier1(insts[1])
    source = "\n".join(f.compiled.gen.source for f in insts[1].funcs)
    if VIEW_ACCESSES:
        assert source.count("& 1073741823)") == 3 and "& 536870911)]" in source
    assert _outcome(insts[1], "f0", [0x3FFFFFFC]) == [0x08070605]  # (4 * x + 16) mod 2**32 = 0, + 4
    assert _outcome(insts[1], "f2", [0xFFFFE003]) == [0x1817161514131211]  # (8 * x + 65528) mod 2**32 = 16
    for name in ("f0", "f1", "f2", "f3"):
        for x in xs:
            assert _outcome(insts[0], name, [x]) == _outcome(insts[1], name, [x]), (name, x)


def test_view_only_accesses_bind_no_struct_functions() -> None:
    """A function whose accesses all index a view (aligned addresses) binds no struct
    method for them: ``make`` takes only what its code names. Out-of-bounds
    accesses still trap as in tier 0 (the view's ``IndexError``)."""
    insts = [load(WRAPPED) for _ in range(2)]
    to_tier1(insts[1])
    for f in insts[1].funcs:
        gen = f.compiled.gen
        names = [name for name, _, _ in gen.bindings]
        assert gen.source.startswith(f"def make({', '.join(names)}):")
        if VIEW_ACCESSES:
            assert not any(name[:2] in ("U_", "P_") for name in names), (f.index, names)
    for name in ("f0", "f1", "f2", "f3"):
        for x in (0, 1, 0x3FFF, 0x4000, 0x1FFF, 0x2000, 0xFFFFFFFF):
            assert _outcome(insts[0], name, [x]) == _outcome(insts[1], name, [x]), (name, x)
    assert any(isinstance(_outcome(insts[1], "f1", [x]), str) for x in (0x4000, 0xFFFFFFFF))  # (traps met)


SMALL_CONSTANTS = r"""(module
 (memory 1)
 (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\81\92\a3\f4\ff\06\07\08")
 (func (export "f0") (param i32) (result i32) (i32.load (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const -8))))
 (func (export "f1") (param i32) (result i32) (i32.load offset=4 (i32.sub (i32.shl (local.get 0) (i32.const 2)) (i32.const 8))))
 (func (export "f2") (param i32) (result i32) (i32.and (i32.add (local.get 0) (i32.const -97)) (i32.const 255)))
 (func (export "f3") (param i32) (result i32) (i32.add (i32.mul (local.get 0) (local.get 0)) (i32.const -3)))
 (func (export "f4") (param i32) (result i32) (i32.xor (i32.load8_s (local.get 0)) (i32.const 1)))
 (func (export "f5") (param i32) (result i64) (i64.load8_s offset=3 (local.get 0)))
 (func (export "f6") (param i32) (result i32)
   (i32.store8 (i32.const 1) (i32.load8_u (local.get 0)))
   (i32.store8 (i32.const 3) (i32.add (i32.load8_u (local.get 0)) (i32.const 1)))  ;; 9 bits: masked
   (i32.store16 (i32.const 6) (i32.shl (i32.load8_u (local.get 0)) (i32.const 9)))  ;; 17 bits
   (i32.store8 offset=2 (local.get 0) (i32.const 0x1ff))
   (i32.store16 (i32.const 4) (i32.const -1))
   (i64.store32 (i32.const 8) (i64.load16_u (local.get 0)))
   (i32.add (i32.load (i32.const 0)) (i32.load (i32.const 8))))
 (func (export "f7") (param i32) (result i32) (local i32)
   (local.set 1 (i32.load8_u (i32.and (local.get 0) (i32.const 0xFFF))))
   (i32.add (local.get 0) (local.get 1)))
)"""


def test_small_constants_signed_bytes_and_narrow_stores() -> None:
    """A constant from ``2**31`` on that a mask follows is subtracted (``x - 8``, not
    ``x + 4294967288``: small ints), also in a view index (``(x - 2) & 0x3FFFFFFF``);
    a signed byte comes from a view of signed bytes; a narrow store of a value that
    fits (a byte loaded, a constant folded) has no mask; a small addend is added
    after a compare. Values and traps as tier 0, where sums wrap and accesses fall
    past the end."""
    xs = [0, 1, 2, 3, 16, 17, 19, 20, 96, 97, 98, 352, 0x3FFFFFFE, 0x3FFFFFFF, 0x40000000, 0x40001000,
          0x7FFFFFFF, 0x80000000, 0xC0000001, 0xFFFFFFFE, 0xFFFFFFFF, 65533, 65534, 65535, 65536]
    insts = [load(SMALL_CONSTANTS) for _ in range(2)]
    to_tier1(insts[1])
    sources = [f.compiled.gen.source for f in insts[1].funcs]
    assert not any("429496" in src for src in sources[:4])
    assert "(l0 - 97) & 255" in sources[2] and "return ((l0 * l0) - 3) & 0xFFFFFFFF\n" in sources[3]
    assert "M0[1] = M0[l0]\n" in sources[6] and "M0[l0 + 2] = 255\n" in sources[6]
    if VIEW_ACCESSES:
        assert "VI[((l0 - 2) & 1073741823)]" in sources[0] and "VI[((l0 - 2) & 1073741823) + 1]" in sources[1]
        assert "Vb[l0]" in sources[4] and "Vb[l0 + 3]" in sources[5] and "VH[2] = 65535\n" in sources[6]
    assert "l0 + l1 if l0 < 4294967041 else (l0 + l1) & 0xFFFFFFFF" in sources[7]
    for name in ("f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"):
        for x in xs:
            assert _outcome(insts[0], name, [x]) == _outcome(insts[1], name, [x]), (name, x)


def _byte_walk(rng: random.Random, k: int) -> Tuple[str, bool]:
    """A function ``f<k>`` walking a pointer to a zero byte in one of C's shapes
    (a copy of the pointer or not, the pointer stepped before or after the load,
    a signed or unsigned byte, an offset, a constant added to the address that may
    wrap, another register derived from the pointer), or with a step of 2 (not a
    walk); and whether ``byte_walk`` should take it."""
    const = rng.choice([0, 1, 7, 0x10000, -1, -16, -0x10000, 0x7FFFFFFF])
    off = rng.choice([0, 0, 3, 65535])
    load = rng.choice(["load8_u", "load8_s"])
    step = 1 if rng.random() < 0.8 else 2
    extra = "(local.set $r (i32.add (local.get $q) (i32.const -5)))" if rng.random() < 0.5 else ""
    if rng.random() < 0.5:  # C's while (*p) p++ as clang emits it: q = p, p = q + 1, test *(q + c)
        body = f"""(local.set $q (local.get $p)) {extra}
          (local.set $p (i32.add (local.get $q) (i32.const {step})))
          (br_if $l (i32.{load} offset={off} (i32.add (local.get $q) (i32.const {const}))))"""
    else:
        body = f"""(local.set $q (i32.{load} offset={off} (i32.add (local.get $p) (i32.const {const}))))
          (local.set $p (i32.add (local.get $p) (i32.const {step})))
          (br_if $l (local.get $q))"""
    return f"""(func (export "f{k}") (param $p i32) (result i32) (local $q i32) (local $r i32)
        (loop $l {body})
        (i32.add (i32.mul (local.get $p) (i32.const 3)) (i32.xor (local.get $q) (local.get $r))))""", step == 1


def test_byte_walks_find_the_zero_byte() -> None:
    """A loop that only walks a pointer up to a zero byte is one ``find`` of the memory:
    the registers it leaves and its trap (no zero before the end of memory, an
    address wrapped past ``2**32`` or past the end) as tier 0's, from starting
    pointers near the zeros, the end of memory and ``2**32``."""
    rng = random.Random(5)
    walks = [_byte_walk(rng, k) for k in range(40)]
    data = bytearray(rng.choice([0, 1, 0x80, 0xFF, 65]) if rng.random() < 0.1 else rng.randrange(1, 256)
                     for _ in range(65536))
    data[65500:] = b"\x01" * 36  # no zero at the end: walks that get there trap
    escaped = "".join("\\%02x" % b for b in data)
    wat = f'(module (memory 1) (data (i32.const 0) "{escaped}")' + "\n".join(w for w, _ in walks) + ")"
    insts = [load(wat) for _ in range(2)]
    to_tier1(insts[1])
    for k, (_, walk) in enumerate(walks):
        assert ('M0.find(b"\\0", a)' in insts[1].funcs[k].compiled.gen.source) == walk, k
    starts = [0, 1, 2, 5, 16, 100, 65499, 65500, 65535, 65536, 0x7FFFFFFF, 0xFFFF0000, 0xFFFFFFF0, 0xFFFFFFFF]
    for k in range(len(walks)):
        for p in starts + [rng.getrandbits(16) for _ in range(6)]:
            assert _outcome(insts[0], f"f{k}", [p]) == _outcome(insts[1], f"f{k}", [p]), (k, p)


SELECT_ARMS = """(module
 (func (export "f0") (param i32 i32 i32) (result i32)
   ;; a product only the chosen arm needs: computed there
   (select (i32.mul (i32.xor (local.get 0) (local.get 1)) (i32.const 16777619)) (local.get 1) (local.get 2)))
 (func (export "f1") (param i32 i32 i32) (result i32)
   ;; a quotient may trap: computed first, whichever arm is chosen
   (select (local.get 1) (i32.div_u (local.get 0) (local.get 1)) (local.get 2)))
 (func (export "f2") (param i32 i32 i32) (result i32)
   ;; a shift cannot trap, but the quotient spliced into it can: not in the arm either
   (select (local.get 1) (i32.shr_u (i32.const 0) (i32.div_u (local.get 0) (local.get 1))) (local.get 2)))
 (memory 1)
 (func (export "f3") (param i32 i32 i32) (result i32)
   ;; nor a load past the end under a sum
   (select (local.get 1) (i32.add (i32.load (local.get 0)) (i32.const 1)) (local.get 2)))
 (func (export "f4") (param i32 i32 i32) (result i32)
   ;; a compare in an arm is its value, 0 or 1, not a truth
   (select (i32.lt_u (local.get 0) (local.get 1)) (i32.const 5) (local.get 2)))
)"""


def test_select_arms_take_pure_expressions_only() -> None:
    """A select's arm may hold its operand's expression when that cannot trap (it is
    evaluated only if chosen); a division stays before the select, and traps by a
    zero divisor even when the other arm is chosen, as does a pure operation over
    a division or a load spliced into it."""
    edges = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
    args = [[x, y, c] for x in edges for y in edges for c in (0, 1)]
    both_tiers(SELECT_ARMS, "f0", args)
    both_tiers(SELECT_ARMS, "f1", [a for a in args if a[1]])
    cache.clear_memory()
    insts = [load(SELECT_ARMS) for _ in range(2)]
    to_tier1(insts[1])
    for c in (0, 1):
        for name in ("f1", "f2"):
            assert _outcome(insts[0], name, [5, 0, c]) == _outcome(insts[1], name, [5, 0, c]) == "integer divide by zero"
        assert _outcome(insts[0], "f3", [65535, 0, c]) == _outcome(insts[1], "f3", [65535, 0, c]) \
            == "out of bounds memory access"
    both_tiers(SELECT_ARMS, "f2", [a for a in args if a[1]])
    assert all(type(_outcome(insts[1], "f4", a)[0]) is int for a in args)
    both_tiers(SELECT_ARMS, "f3", [[x, y, c] for x in (0, 4, 65532) for y in edges for c in (0, 1)])
    src = [f.compiled.gen.source for f in insts[1].funcs]
    assert "* 16777619) & 0xFFFFFFFF)) if l2 else l1\n" in src[0]  # (the arm parenthesised whole)
    assert "t1 = l0 // (l1 or trap_div_zero())\n" in src[1] and "l1 if l2 else t1\n" in src[1]


FAR_READERS = """(module
 (memory 1)
 (func (export "f0") (param i32 i32) (result i32)
   ;; the first product waits in a temporary for the add, which masks it
   (i32.add (i32.mul (local.get 0) (local.get 1)) (i32.mul (local.get 1) (i32.const 0x9E3779B9))))
 (func (export "f1") (param i32 i32) (result i32)
   ;; an xor of a difference waits for an unsigned shift, which must not see it unmasked
   (i32.shr_u (i32.xor (i32.sub (local.get 0) (local.get 1)) (i32.const 5))
              (i32.and (i32.add (local.get 1) (i32.const 3)) (i32.const 31))))
 (func (export "f2") (param i32 i32) (result i32)
   ;; a sum waits for a narrow store, which masks it
   (i32.store16 (i32.const 8) (i32.sub (local.get 0) (local.get 1)))
   (i64.store32 (i32.const 16) (i64.mul (i64.extend_i32_u (local.get 0)) (i64.const -3)))
   (i32.add (i32.load16_u (i32.const 8)) (i32.load (i32.const 16))))
)"""


def test_unmasked_temporaries_reach_only_masking_readers() -> None:
    """A wrapping result that its reader (not the next instruction) masks anyway is
    stored unmasked; one read by an instruction that needs it exact is not."""
    edges = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x9E3779B9]
    for name in ("f0", "f1", "f2"):
        both_tiers(FAR_READERS, name, [[x, y] for x in edges for y in edges])
    cache.clear_memory()
    inst = load(FAR_READERS)
    to_tier1(inst)
    # (the product waits for the sum as an expression: ``codegen._Gen.defers``)
    assert "return ((l0 * l1) + (" in inst.funcs[0].compiled.gen.source


WAITING = """(module
 (memory 1)
 (func (export "f0") (param i32 i32) (result i32)
   ;; a quotient, then a load: the quotient's trap comes first
   (i32.add (i32.div_u (local.get 0) (local.get 1)) (i32.load (local.get 0))))
 (func (export "f1") (param i32 i32) (result i32)
   ;; a load, then a quotient: the load's trap comes first
   (i32.add (i32.load (local.get 0)) (i32.div_u (local.get 0) (local.get 1))))
 (func (export "f2") (param i32 i32) (result i32)
   ;; a product waiting for an xor, a quotient waiting for a sum
   (i32.sub (i32.add (i32.mul (local.get 0) (local.get 1)) (i32.xor (local.get 1) (i32.const 7)))
            (i32.add (i32.div_s (local.get 0) (i32.const 3)) (i32.shl (local.get 1) (i32.const 2)))))
 (func (export "f3") (param f32 f32) (result f32)
   ;; two rounded products: the first cannot wait in the one rounding cell
   (f32.add (f32.mul (local.get 0) (local.get 1)) (f32.mul (local.get 1) (local.get 1))))
)"""


def test_temporaries_wait_for_the_instruction_after_next() -> None:
    """A result read by the instruction after the next one is spliced into it when at
    most one of the two may trap (traps keep their order) and it is no rounded f32;
    results and traps as tier 0's."""
    cache.clear_memory()
    insts = [load(WAITING) for _ in range(2)]
    to_tier1(insts[1])
    for name in ("f0", "f1", "f2"):
        for x, y in [(0, 0), (70000, 0), (70000, 3), (8, 0), (8, 5), (0xFFFFFFFF, 1), (0x80000000, 0xFFFFFFFF)]:
            assert _outcome(insts[0], name, [x, y]) == _outcome(insts[1], name, [x, y]), (name, x, y)
    assert _outcome(insts[1], "f0", [70000, 0]) == "integer divide by zero"
    assert _outcome(insts[1], "f1", [70000, 0]) == "out of bounds memory access"
    both_tiers(WAITING, "f3", [[x, y] for x in (1.1, 3.4e38, -0.0, 1e-30) for y in (0.7, 3.4e38, 1e-30)])
    src = [f.compiled.gen.source for f in insts[1].funcs]
    assert "t0 = (l0 * l1) + (l1 ^ 7)\n" in src[2] and "t1 = " not in src[2]  # (a sum waits for no chain)
    if codegen.ROUND_BY_VIEW:
        assert "t0 = RF[0]" in src[3]


BYTE_MASKS = """(module
 (memory 1)
 (data (i32.const 0) "\\80\\ff\\01\\7f")
 (func (export "m0") (param i32) (result i32)
   ;; a byte read unsigned already fits a mask of 8 bits or more: no mask
   (i32.add (i32.and (i32.load8_u (local.get 0)) (i32.const 255))
            (i32.and (i32.load16_u (local.get 0)) (i32.const 0x1FFFF))))
 (func (export "m1") (param i32) (result i32)
   ;; narrower masks, and a byte read signed, keep theirs
   (i32.add (i32.and (i32.load8_u (local.get 0)) (i32.const 127))
            (i32.and (i32.load8_s (local.get 0)) (i32.const 255))))
)"""


def test_masks_a_value_fits_are_dropped() -> None:
    """``x & (2**k - 1)`` is ``x`` when ``x`` is known below ``2**k`` (a byte read
    unsigned, as C's ``(u8)*p``); a mask narrower than the value, or over a
    sign-extended byte, stays."""
    both_tiers(BYTE_MASKS, "m0", [[a] for a in (0, 1, 2, 3, 65534)])
    both_tiers(BYTE_MASKS, "m1", [[a] for a in (0, 1, 2, 3, 65535)])
    cache.clear_memory()
    inst = load(BYTE_MASKS)
    to_tier1(inst)
    m0, m1 = (f.compiled.gen.source for f in inst.funcs)
    assert "255" not in m0 and "0x1FFFF" not in m0 and "131071" not in m0
    assert "127" in m1 and "255" in m1


SELECTS = """(module
 (memory 1)
 (func (export "s0") (param i32 i32) (result i32)
   (select (local.get 0) (local.get 1) (i32.lt_s (local.get 0) (local.get 1))))
 (func (export "s1") (param i32 i32) (result i32)
   (select (local.get 1) (local.get 0) (i32.load (local.get 0))))
 (func (export "s2") (param i32 i32) (result i32)
   (select (local.get 0) (local.get 1)
           (f64.lt (f64.convert_i32_s (local.get 0)) (f64.div (f64.const 0) (f64.convert_i32_u (local.get 1))))))
 (func (export "s3") (param i32 i32) (result i32)
   (select (local.get 0) (local.get 1) (i32.eqz (i32.sub (local.get 0) (local.get 1)))))
)"""


def test_select_takes_its_condition_spliced() -> None:
    """A select's condition (a comparison as a plain boolean, a load that may trap)
    comes spliced into the conditional expression; the chosen values and the trap
    are tier 0's."""
    edges = [0, 1, 5, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
    for name in ("s0", "s2", "s3"):
        both_tiers(SELECTS, name, [[x, y] for x in edges for y in edges])
    both_tiers(SELECTS, "s1", [[x, y] for x in (0, 4, 65532) for y in edges])
    inst = load(SELECTS)
    to_tier1(inst)
    with pytest.raises(Trap, match="out of bounds memory access"):
        engine.call(inst.exports["s1"], [65533, 1])


LOCAL_ALIGNMENT = """(module
 (memory 1)
 (data (i32.const 0) "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10\\11\\12\\13\\14\\15\\16\\17\\18")
 (func (export "loop") (param i32) (result i32) (local i32 i32)
   ;; aligned on entry to the loop only: the load in the loop keeps its check
   (local.set 1 (i32.shl (local.get 0) (i32.const 2)))
   (loop $l
     (local.set 2 (i32.add (local.get 2) (i32.load (local.get 1))))
     (local.set 1 (i32.add (local.get 1) (i32.const 1)))
     (br_if $l (i32.lt_u (local.get 1) (i32.const 12))))
   (local.get 2))
 (func (export "merge") (param i32) (result i32) (local i32)
   ;; aligned on one path into the block's end, not on the other
   (block (local.set 1 (i32.const 4)) (br_if 0 (local.get 0)) (local.set 1 (i32.const 8)))
   (local.set 1 (i32.add (local.get 1) (local.get 0)))
   (i32.load (local.get 1)))
 (func (export "straight") (param i32) (result i32) (local i32)
   ;; aligned from its write to the loads: no checks
   (local.set 1 (i32.mul (local.get 0) (i32.const 8)))
   (i32.add (i32.load offset=4 (local.get 1)) (i32.wrap_i64 (i64.load (local.get 1)))))
)"""


def test_aligned_locals_across_merges() -> None:
    """A local's known alignment holds along straight code (its loads skip the
    check) and is forgotten where paths merge: a loop head, a block's end."""
    both_tiers(LOCAL_ALIGNMENT, "loop", [[x] for x in (0, 1, 2)])
    both_tiers(LOCAL_ALIGNMENT, "merge", [[x] for x in (0, 1, 2, 3, 5)])
    cache.clear_memory()
    insts = [load(LOCAL_ALIGNMENT) for _ in range(2)]
    to_tier1(insts[1])
    for x in (0, 1, 2, 8191, 8192, 0x20000000, 0xFFFFFFFF):
        assert _outcome(insts[0], "straight", [x]) == _outcome(insts[1], "straight", [x])
    if VIEW_ACCESSES:
        sources = [f.compiled.gen.source for f in insts[1].funcs]
        assert "if not" in sources[0] and "if not" in sources[1] and "if not" not in sources[2]


# -- inlining and indirect calls ---------------------------------------------------------

INLINE = """(module
 (memory 1)
 (table $t 4 funcref)
 (elem (i32.const 0) $add $at $swap)
 (type $bin (func (param i32 i32) (result i32)))
 (global $g (mut i32) (i32.const 7))
 (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
 (func $at (param i32 i32) (result i32) (i32.load (i32.add (local.get 0) (local.get 1))))
 (func $div (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
 (func $stop (param i32) (result i32) unreachable)
 (func $swap (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
 (func $late (param i32 i32) (result i32 i32)
   ;; writes its first result's slot, then reads both params
   (i32.mul (local.get 1) (i32.const 3)) (i32.add (local.get 0) (local.get 1)))
 (func $own (param i32) (result i32) (local f64)
   (local.set 0 (i32.add (local.get 0) (i32.const 1)))
   (local.set 1 (f64.const nan:0x4))
   (i32.add (local.get 0) (i32.wrap_i64 (i64.reinterpret_f64 (local.get 1)))))
 (func $inf (result f64) (f64.const -inf))
 (func $bump (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
 (func (export "add") (param i32 i32) (result i32) (call $add (local.get 0) (local.get 1)))
 (func (export "at") (param i32) (result i32) (call $at (local.get 0) (i32.const 4)))
 (func (export "div") (param i32) (result i32) (call $div (i32.const 10) (local.get 0)))
 (func (export "stop") (param i32) (result i32) (call $stop (local.get 0)))
 (func (export "swap") (param i32 i32) (result i32 i32) (call $swap (local.get 0) (local.get 1)))
 (func (export "swap_self") (param i32 i32) (result i32 i32)
   (local.get 1) (local.get 0) (call $swap) (local.set 0) (local.set 1) (local.get 0) (local.get 1))
 (func (export "late") (param i32 i32) (result i32 i32 i32)
   ;; the arguments in the registers of the results
   (call $late (i32.add (local.get 0) (i32.const 1)) (i32.add (local.get 1) (i32.const 2)))
   (local.set 1) (local.set 0) (local.get 0) (local.get 1) (local.get 0))
 (func (export "own") (param i32) (result i32 i32) (call $own (local.get 0)) (local.get 0))
 (func (export "inf") (result f64 f64) (call $inf) (f64.const inf))
 (func (export "bump") (result i32) (drop (call $bump)) (call $bump))
 (func (export "loop") (param i32) (result i32) (local i32)
   (loop $l
     (local.set 1 (call $add (local.get 1) (call $at (local.get 0) (i32.const 0))))
     (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
   (local.get 1))
 (func (export "ind") (param i32 i32 i32) (result i32)
   (call_indirect (type $bin) (local.get 1) (local.get 2) (local.get 0)))
 (func (export "set") (param i32) (table.set $t (local.get 0) (ref.func $add)))
 (func (export "clear") (param i32) (table.set $t (local.get 0) (ref.null func)))
 (func (export "mixed") (param i32) (result i32)
   (drop (call $add (local.get 0) (local.get 0)))
   (call_indirect (type $bin) (local.get 0) (local.get 0) (i32.const 0)))
)"""


def outcome_with_frames(inst: ModuleInstance, name: str, args: List[Any]) -> Any:
    """The results, or the trap's message and frames (function indices, innermost first)."""
    try:
        return engine.call(inst.exports[name], list(args))
    except Trap as t:
        return str(t), [f.func_index for f in t.frames]


INLINE_CASES = [("add", [M32, 2]), ("at", [0]), ("at", [65532]), ("div", [3]), ("div", [0]),
                ("stop", [1]), ("swap", [1, 2]), ("swap_self", [1, 2]), ("late", [3, 4]),
                ("own", [9]), ("inf", []), ("bump", []), ("bump", []), ("loop", [50]),
                ("loop", [70000])]


@pytest.mark.parametrize("dispatch", [False, True])
def test_inlined_calls_agree_with_tier0(dispatch: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Results, traps and their frames (the inlined callee's included) as in tier 0."""
    if dispatch:
        monkeypatch.setattr(codegen, "MAX_LOOPS", 0)
    inst = load(INLINE)
    expected = [outcome_with_frames(inst, name, args) for name, args in INLINE_CASES]
    assert expected[2] == ("out of bounds memory access", [1, 10])
    inst = load(INLINE)
    to_tier1(inst)
    assert [outcome_with_frames(inst, name, args) for name, args in INLINE_CASES] == expected
    for name in ("add", "at", "div", "stop", "swap", "late", "own", "inf", "bump", "loop"):
        assert codegen.INLINED_TAG in inst.exports[name].compiled.gen.source, name


def test_inlined_call_at_the_depth_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """An inlined callee's frame still counts: the same depth traps as without inlining,
    from a caller that counts its own frame (``mixed``: it calls) and from one that
    need not (``add``, ``loop``: their calls are all inlined)."""
    inst = load(INLINE)
    to_tier1(inst)
    assert "deeper = depth + 1" in inst.exports["mixed"].compiled.gen.source
    assert "deeper" not in inst.exports["loop"].compiled.gen.source
    # (``loop``'s two inlined calls run in a row: one check serves both)
    assert inst.exports["loop"].compiled.gen.source.count("if deep:") == 1
    for name, args in (("add", [1, 2]), ("loop", [1]), ("mixed", [1])):
        for depth, trapped in ((interp.MAX_CALL_DEPTH - 2, False), (interp.MAX_CALL_DEPTH - 1, True)):
            monkeypatch.setattr(interp, "_depth", depth)
            assert (outcome_with_frames(inst, name, args) == ("call stack exhausted", [inst.exports[name].index])) is trapped
            assert interp._depth == depth


def test_inlined_calls_spend_fuel_as_calls() -> None:
    from wasmlite import Linker, Module, Store

    for tier in ("0", "1"):
        interp_tier, interp.TIER = interp.TIER, tier
        try:
            store = Store(fuel=10**6)
            exports = Linker().instantiate(store, Module(INLINE)).exports
            for name, args, units in (("add", [1, 2], 2), ("bump", [], 3), ("loop", [5], 1 + 5 * 3)):
                before = store.get_fuel()
                exports[name](*args)
                assert before - store.get_fuel() == units, (tier, name)
            if tier == "1":
                assert "INL" in exports["loop"]._function.compiled.fn.__code__.co_freevars  # has inlined lines
        finally:
            interp.TIER = interp_tier


def test_call_indirect_known_callees() -> None:
    """Elements called before go straight to their function; a changed, cleared or
    out-of-range element, or one of another type, still traps as it should."""
    inst = load(INLINE)
    to_tier1(inst)
    src = inst.exports["ind"].compiled.gen.source
    assert "except LookupError:" in src and "len(" not in src  # (two lookups, no bounds check)
    assert outcome_with_frames(inst, "ind", [0, 3, 4]) == [7]
    assert outcome_with_frames(inst, "ind", [1, 0, 4]) == [0]
    assert outcome_with_frames(inst, "ind", [1, 65532, 4]) == ("out of bounds memory access", [1, 20])
    assert outcome_with_frames(inst, "ind", [2, 3, 4]) == ("indirect call type mismatch", [20])
    assert outcome_with_frames(inst, "ind", [3, 3, 4]) == ("uninitialized element", [20])
    assert outcome_with_frames(inst, "ind", [4, 3, 4]) == ("undefined element", [20])
    engine.call(inst.exports["set"], [1])  # element 1: $at -> $add
    assert outcome_with_frames(inst, "ind", [1, 3, 4]) == [7]
    engine.call(inst.exports["clear"], [0])
    assert outcome_with_frames(inst, "ind", [0, 3, 4]) == ("uninitialized element", [20])
    assert outcome_with_frames(inst, "ind", [1, 5, 4]) == [9]


NO_ACCESS = """(module
  (memory 1)
  (func $peek (param i32) (result i32)  ;; (it branches: called, not inlined)
    (if (result i32) (local.get 0) (then (i32.load (local.get 0))) (else (i32.const 0))))
  (func (export "arith") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (func (export "via") (param i32) (result i32) (i32.add (call $peek (local.get 0)) (i32.const 1))))"""


def test_oob_handler_only_where_memory_is_accessed() -> None:
    """Only a function that accesses memory has the ``except`` turning an access's
    error into the out-of-bounds trap; a callee's trap still passes through a
    caller without it, with both frames."""
    inst = load(NO_ACCESS)
    to_tier1(inst)
    sources = [f.compiled.gen.source for f in inst.funcs]
    assert ["IndexError" in s for s in sources] == [True, False, False]
    assert engine.call(inst.exports["arith"], [5]) == [15]
    assert outcome_with_frames(inst, "via", [65534]) == ("out of bounds memory access", [0, 2])
    assert engine.call(inst.exports["via"], [0]) == [1]


def test_code_stamp_covers_what_shapes_tier1_code() -> None:
    """A cached tier-1 function is only reused while the sources that generated it
    are unchanged: every wasmlite module codegen and intervals import is stamped,
    but for the few that cannot change generated code."""
    import ast
    import os

    from conftest import REPO

    shapes_nothing = {"wasmlite.syntax", "wasmlite.errors", "wasmlite.engine.cache", "wasmlite.validate.code",
                      "wasmlite.numeric"}  # (the package: its parts are stamped one by one)
    imported = set()
    for name in ("codegen", "intervals"):
        path = os.path.join(REPO, "src", "wasmlite", "engine", name + ".py")
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = ["wasmlite", "engine"][:3 - node.level] if node.level < 3 else []
                module = ".".join(base + ([node.module] if node.module else []))
                if node.module:
                    imported.add(module)
                else:
                    imported.update(f"{module}.{a.name}" for a in node.names)
    missing = {m for m in imported if m not in cache._STAMPED and m not in shapes_nothing}
    assert not missing


def _spread_operand(rng: random.Random) -> str:
    """An i32 operand for ``_spread_expr``: a parameter, a sum or product a shift
    left may take unmasked (congruent), a narrow load, a compare, a random tree."""
    return rng.choice([
        "(local.get 0)", "(local.get 1)", "(i32.add (local.get 0) (local.get 1))",
        "(i32.mul (local.get 0) (i32.const 0x9E3779B9))", "(i32.sub (local.get 1) (i32.const 3))",
        "(i32.load8_u offset=1 (i32.and (local.get 0) (i32.const 0xFF)))", "(i32.lt_u (local.get 0) (local.get 1))",
        "(i32.shr_u (local.get 0) (i32.const 3))", "(i32.rotl (local.get 1) (i32.const 5))",
        _random_int_expr(rng, "i32", 2)])


def _spread_expr(rng: random.Random, depth: int) -> str:
    """A value that is all ones or zero (C's ``(int)(x << k) >> 31``, ``x >> 31``,
    ``-(x & 1)``, ``-(a < b)``), masked by constants or not, and more of them."""
    x = _spread_operand(rng) if depth == 0 or rng.random() < 0.5 else _spread_expr(rng, depth - 1)
    shape = rng.choice(["shl", "shl", "shr", "neg", "neg_cmp", "neg_wide"])
    by31 = rng.choice([31, 63, -1, 95])  # (the count is taken modulo 32)
    if shape == "shl":
        k = rng.choice([0, 1, 2, 3, 15, 28, 30, 31, 32, 33, -2])
        s = f"(i32.shr_s (i32.shl {x} (i32.const {k})) (i32.const {by31}))"
    elif shape == "shr":
        s = f"(i32.shr_s {x} (i32.const {by31}))"
    elif shape == "neg":
        s = f"(i32.sub (i32.const 0) (i32.and {x} (i32.const 1)))"
    elif shape == "neg_cmp":
        s = f"(i32.sub (i32.const 0) (i32.lt_s {x} (local.get 1)))"
    else:  # an operand that may be 2 or more: no spread
        s = f"(i32.sub (i32.const 0) (i32.and {x} (i32.const 3)))"
    for _ in range(rng.choice([0, 1, 1, 2])):
        k = rng.choice([0, 1, 0xEDB88320, 0x82F63B78, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF])
        s = f"(i32.and {s} (i32.const {k}))" if rng.random() < 0.5 else f"(i32.and (i32.const {k}) {s})"
    return s


@pytest.mark.parametrize("branch", [True, False])
@pytest.mark.parametrize("seed", range(12))
def test_sign_spreads_agree_with_tier0(seed: int, branch: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A value spread from one bit (by a shift left and a signed shift right by 31,
    or negated from 0 or 1) and masked by constants is ``(m if cond else 0)`` or
    ``(-bit & m)`` in tier 1 (``SPREAD_BY_BRANCH``, both here): results, consumers
    that mask (a sum, a byte store) and a branch on it as tier 0's, at the edges of
    the bits tested."""
    monkeypatch.setattr(ranges, "SPREAD_BY_BRANCH", branch)
    rng = random.Random(seed)
    funcs = []
    for k in range(6):
        funcs.append(f"""(func (export "f{k}") (param i32 i32) (result i32) (local i32)
          (i32.store8 offset=300 (i32.const 0) {_spread_expr(rng, 2)})
          (local.set 2 (i32.xor {_spread_expr(rng, 2)} (i32.load8_u offset=300 (i32.const 0))))
          (block (br_if 0 {_spread_expr(rng, 1)}) (local.set 2 (i32.add (local.get 2) (i32.const 77))))
          (i32.add (local.get 2) (i32.xor {_spread_expr(rng, 3)} {_spread_expr(rng, 1)})))""")
    data = bytes(rng.getrandbits(8) for _ in range(300))
    escaped = "".join("\\%02x" % b for b in data)
    wat = f'(module (memory 1) (data (i32.const 0) "{escaped}")' + "\n".join(funcs) + ")"
    edges = [0, 1, 2, 3, 4, 8, 0x7FFFFFFF, 0x80000000, 0xC0000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x40000000]
    agree_on_edges(rng, wat, funcs, edges[::2], edges[1::2])


SPREAD_SHAPES = """(module
  (func (export "crc") (param i32) (result i32)
    (i32.xor (i32.and (i32.sub (i32.const 0) (i32.and (local.get 0) (i32.const 1))) (i32.const 0xEDB88320))
             (i32.and (i32.shr_s (i32.shl (local.get 0) (i32.const 28)) (i32.const 31)) (i32.const 0x82F63B78))))
  (func (export "sign") (param i32) (result i32)
    (i32.and (i32.const 255) (i32.and (i32.shr_s (local.get 0) (i32.const 31)) (i32.const 0x1234))))
  (func (export "wide") (param i32) (result i32)
    (i32.and (i32.sub (i32.const 0) (i32.and (local.get 0) (i32.const 2))) (i32.const 0xEDB88320)))
  (func (export "count") (param i32 i32) (result i32)
    (i32.xor (i32.shl (i32.load8_u (i32.const 0)) (i32.and (local.get 1) (i32.const 15)))
             (i32.shr_u (local.get 0) (i32.and (local.get 1) (i32.const 31)))))
  (memory 1) (data (i32.const 0) "\\ff"))"""


@pytest.mark.parametrize("branch", [True, False])
def test_sign_spreads_and_shift_counts_in_range(branch: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shapes: a bit spread and masked is one conditional expression on the bit,
    or the bit negated and masked (no 62-bit shift, no compare of it), ``-(x & 2)``
    (not 0 or 1) keeps its subtraction; a shift count known below 32 goes without
    its ``& 31``, and a byte shifted by at most 15 without its mask."""
    monkeypatch.setattr(ranges, "SPREAD_BY_BRANCH", branch)
    inst = load(SPREAD_SHAPES)
    to_tier1(inst)
    crc, sign, wide, count = [f.compiled.gen.source for f in inst.funcs]
    if branch:
        assert "(3988292384 if (l0 & 1) else 0)" in crc and "(2197175160 if l0 & 8 else 0)" in crc
        assert "(52 if l0 >= 2147483648 else 0)" in sign
    else:
        assert "(-(l0 & 1) & 3988292384)" in crc and "(-(l0 >> 3 & 1) & 2197175160)" in crc
        assert "(-(l0 >> 31) & 52)" in sign
    assert "<< 28" not in crc
    assert "(0 - " in wide or "(0) - " in wide
    assert " << (l1 & 15)" in count and "(l0 >> (l1 & 31))" in count and "& 0xFFFFFFFF" not in count
    xs = [0, 1, 2, 7, 8, 9, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x12345678]
    for name, n in (("crc", 1), ("sign", 1), ("wide", 1), ("count", 2)):
        both_tiers(SPREAD_SHAPES, name, [[x, y][:n] for x in xs for y in xs[:5]])


def _based_access(k: int, rng: random.Random) -> str:
    """Function ``f<k>``: a load or a store at ``p + (i << j)`` (either order) plus
    an offset, ``p`` of unknown alignment (C's ``p[i]`` through a pointer), for
    accesses of every width and shifts below, at and above the access's size."""
    op, size = rng.choice([("i32.load", 4), ("i64.load", 8), ("i32.load16_u", 2), ("f64.load", 8),
                           ("f32.load", 4), ("i64.load32_s", 4), ("i32.store", 4), ("i64.store", 8),
                           ("i32.store16", 2), ("f64.store", 8)])
    j = rng.choice([1, 2, 3, 4])
    off = rng.choice([0, size, 2 * size, 2, 65536])
    shifted = f"(i32.shl (local.get 1) (i32.const {j}))"
    addr = f"(i32.add (local.get 0) {shifted})" if rng.random() < 0.7 else f"(i32.add {shifted} (local.get 0))"
    t = op[:3]
    if "store" in op:
        value = {"i32": "(i32.xor (local.get 1) (i32.const 0x5A5A5A5A))",
                 "i64": "(i64.mul (i64.extend_i32_u (local.get 1)) (i64.const 0x100000001))",
                 "f64": "(f64.convert_i32_u (local.get 1))"}[t]
        return f"""(func (export "f{k}") (param i32 i32) (result i32)
          ({op} offset={off} {addr} {value}) (i32.load (i32.const 1000)))"""
    loaded = f"({op} offset={off} {addr})"
    result = {"i32": loaded, "i64": f"(i32.wrap_i64 (i64.xor {loaded} (i64.const 0)))",
              "f64": f"(i32.wrap_i64 (i64.reinterpret_f64 {loaded}))",
              "f32": f"(i32.reinterpret_f32 {loaded})"}[t]
    return f"""(func (export "f{k}") (param i32 i32) (result i32) {result})"""


def _tier0_and_tier1(data: bytes, funcs: List[str]) -> Tuple[List[ModuleInstance], List[str]]:
    """Two instances of a module of ``funcs`` with one page of memory starting with
    ``data``, the second in tier 1; and its functions' sources."""
    escaped = "".join("\\%02x" % b for b in data)
    wat = f'(module (memory 1) (data (i32.const 0) "{escaped}")' + "\n".join(funcs) + ")"
    insts = [load(wat) for _ in range(2)]
    to_tier1(insts[1])
    return insts, [f.compiled.gen.source for f in insts[1].funcs]


def test_accesses_at_a_base_plus_a_scaled_index() -> None:
    """A view access at ``p + (i << j)`` with ``p``'s alignment unknown tests ``p``'s
    alignment and indexes the view with ``(p >> k) + (i << (j - k))`` modulo
    ``2**(32 - k)``, no 32-bit sum: values, traps and the memory after stores as
    tier 0's, for bases aligned and not, sums that wrap past ``2**32`` and
    addresses past the end of memory."""
    rng = random.Random(3)
    funcs = [_based_access(k, rng) for k in range(40)] + [
        """(func (export "f40") (param i32 i32) (result i32)
             (i32.load (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2)))))""",
        """(func (export "f41") (param i32 i32) (result i32)
             (i32.store offset=4 (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2))) (local.get 1))
             (i32.load (i32.const 1000)))""",
        """(func (export "f42") (param i32 i32) (result i32)
             (i64.store (i32.add (i32.load (local.get 1)) (i32.shl (local.get 1) (i32.const 3))) (i64.const -5))
             (i32.load (i32.const 1000)))""",
        """(func (export "f43") (param i32 i32) (result i32)
             (i32.load (i32.sub (local.get 0) (i32.shl (local.get 1) (i32.const 2)))))"""]
    data = bytes(rng.getrandbits(8) for _ in range(1024))
    insts, sources = _tier0_and_tier1(data, funcs)
    if VIEW_ACCESSES:
        assert sum("if not l0 & " in src for src in sources) >= 10
        assert "VI[(((l0 >> 2) + l1) & 1073741823)]" in sources[40]
        assert "if l0 & 3: " in sources[41] and "VI[(((l0 >> 2) + l1) & 1073741823) + 1] = l1" in sources[41]
        assert "if t0 & 7: " in sources[42] and "VQ[(((t0 >> 3) + l1) & 536870911)] = " in sources[42]
    ps = [0, 1, 2, 3, 4, 8, 64, 1000, 65528, 65532, 65535, 0xFFFFFFF0, 0xFFFFFFFC, 0xFFFFFFFF]
    xs = [0, 1, 2, 3, 16, 0x0FFFFFFF, 0x10000000, 0x3FFFFFFF, 0x40000000, 0xFFFFFFFF, 0xFFFFFFFE]
    for name in [f"f{k}" for k in range(len(funcs))]:
        for p in ps:
            for x in rng.sample(xs, 5):
                assert _outcome(insts[0], name, [p, x]) == _outcome(insts[1], name, [p, x]), (name, p, x)
    assert bytes(insts[0].mems[0].data) == bytes(insts[1].mems[0].data)


_SIGNED_CMPS = ["lt_s", "gt_s", "le_s", "ge_s"]


def _signed_compare(k: int, rng: random.Random) -> str:
    """A function ``f<k>(p, q, c)`` comparing signed words loaded at ``p`` and ``q``
    (offsets 0 or 4; either side a constant at the i32 edges instead), its result as
    a value, a select's condition or a branch's; a load's value from an ``if``'s
    merge or through ``local.tee``, which must stay unsigned."""
    cmp = rng.choice(_SIGNED_CMPS)
    sides = [f"(i32.load offset={rng.choice([0, 0, 4])} (local.get {x}))" for x in (0, 1)]
    if rng.random() < 0.3:
        sides[rng.randrange(2)] = f"(i32.const {rng.choice([0, 1, -1, 5, 0x7FFFFFFF, -0x80000000, -50000])})"
    if rng.random() < 0.2:  # not a plain load's temporary: no signed read
        sides[0] = rng.choice([f"(if (result i32) (local.get 2) (then {sides[0]}) (else (i32.const -3)))",
                               f"(if (result i32) (local.get 2) (then (i32.const -3)) (else {sides[0]}))",
                               f"(local.tee 3 {sides[0]})"])
    test = f"(i32.{cmp} {sides[0]} {sides[1]})"
    use = rng.choice([test, f"(select (i32.const 10) (i32.const 20) {test})",
                      f"(block (result i32) (drop (br_if 0 (i32.const 7) {test})) (i32.const 8))",
                      f"(i32.add (local.get 3) {test})"])
    return f"""(func (export "f{k}") (param i32 i32 i32) (result i32) (local i32 i32) {_looped(use)})"""


def _looped(value: str) -> str:
    """An i32 ``value`` computed in a loop that runs twice (local 4 counts)."""
    return f"(loop (result i32) {value} (br_if 0 (i32.lt_u (local.tee 4 (i32.add (local.get 4) (i32.const 1))) (i32.const 2))))"


def test_signed_compares_of_loaded_words() -> None:
    """A signed compare of words loaded for it alone (sort's ``v[i] < v[j]``) reads
    them signed (``Vi``) and compares them as they are; constants as signed ints.
    Values and traps as tier 0's for words at the edges of the i32 range, addresses
    unaligned and past the end; a value from a merge or a ``local.tee`` keeps the
    unsigned form."""
    rng = random.Random(7)
    funcs = [_signed_compare(k, rng) for k in range(60)] + [
        f"""(func (export "f60") (param i32 i32 i32) (result i32) (local i32 i32) {_looped(
            "(select (local.get 0) (local.get 1) (i32.lt_s (i32.load (local.get 0)) (i32.load (local.get 1))))")})""",
        f"""(func (export "f61") (param i32 i32 i32) (result i32) (local i32 i32) {_looped(
            "(i32.ge_s (if (result i32) (local.get 2) (then (i32.load (local.get 0))) (else (i32.const -3)))"
            "          (i32.load (local.get 1)))")})""",
        f"""(func (export "f62") (param i32 i32 i32) (result i32) (local i32 i32) {_looped(
            "(i32.lt_s (if (result i32) (local.get 2) (then (i32.const -3)) (else (i32.load (local.get 0))))"
            "          (i32.load (local.get 1)))")})"""]
    words = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 50000, 0xFFFF3CB0]
    data = b"".join(struct.pack("<I", rng.choice(words)) for _ in range(256))
    insts, sources = _tier0_and_tier1(data, funcs)
    if VIEW_ACCESSES:
        assert "t2 = Vi[l0 >> 2] if not l0 & 3 else U_i64_load32_s(M0, l0)[0]" in sources[60]
        assert "t0 = l0 if (t2 < (Vi[l1 >> 2] if not l1 & 3 else " in sources[60]
        assert "^ 0x80000000" not in sources[60] and "Vi" not in sources[61] + sources[62]
        assert sum("^ 0x80000000" not in src for src in sources[:60]) >= 30
    addrs = [0, 1, 3, 4, 8, 401, 1020, 65528, 65532, 65533, 65536, 0xFFFFFFFC]
    for name in [f"f{k}" for k in range(len(funcs))]:
        for _ in range(12):
            args = [rng.choice(addrs), rng.choice(addrs), rng.randrange(2)]
            assert _outcome(insts[0], name, args) == _outcome(insts[1], name, args), (name, args)
