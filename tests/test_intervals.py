"""Tests of the register intervals tier 1 uses (``engine.intervals``): loop counters and
pointers lose their wrap-around compares and alignment checks where that is proven,
keep them where the value may wrap or is written elsewhere, and results agree with
tier 0 (which has no such analysis) on loops built to straddle the edges."""

from __future__ import annotations

import os
import random
from typing import Any, List

import pytest

from conftest import to_tier1
from test_codegen import load, no_disk_cache  # noqa: F401 (an autouse fixture)
from wasmlite import Module, engine, numeric, syntax
from wasmlite.engine import cache, codegen, interp, intervals
from wasmlite.engine.memory_ops import VIEW_ACCESSES
from wasmlite.text import parse_module
from wasmlite.errors import LinkError, Trap
from wasmlite.validate import validate_module


def run_both(wat: str, args: List[List[Any]], name: str = "f", traps: bool = False) -> str:
    """Run ``name`` in tier 0 and tier 1 (the results, or with ``traps`` the traps'
    messages, must agree); tier 1's source."""
    out = []
    for tier in (0, 1):
        cache.clear_memory()
        inst = load(wat)
        if tier:
            to_tier1(inst)
        got = []
        for a in args:
            try:
                got.append(engine.call(inst.exports[name], list(a)))
            except Trap as t:
                if not traps:
                    raise
                got.append(str(t))
        out.append(got)
    assert out[0] == out[1], wat
    return inst.exports[name].compiled.gen.source  # type: ignore[no-any-return]


# A negative offset counting up to 0 by 2 (clang's form of ``for (i = 0; i < 8192; i += 2)
# .. data[i]``): every ``i + K`` is an address past the wrap.
CRC_LIKE = """(module (memory 1)
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (local.set 1 (i32.const -64))
    (loop
      (local.set 2 (i32.xor (i32.mul (local.get 2) (i32.const 31))
        (i32.add (i32.load8_u (i32.add (local.get 1) (i32.const 64))) (local.get 0))))
      (i32.store8 (i32.add (local.get 1) (i32.const 65)) (local.get 2))
      (br_if 0 (local.tee 1 (i32.add (local.get 1) (i32.const 2)))))
    (i32.add (local.get 2) (i32.eqz (local.get 1)))))"""


def test_negative_offset_counting_to_zero() -> None:
    src = run_both(CRC_LIKE, [[0], [1], [0xFFFFFFFF]])
    # the last step wraps to 0, the loop's test: a range up to 0 over the counter
    # biased by -2**32, whose sums (always past the wrap) are small; 0 put back after
    assert "for l1 in range(l1 - 4294967296, 0, 2):" in src and "l1 = 0\n" in src
    assert "(l1 + 64)" in src and "(l1 + 65)" in src
    # four rounds (fewer than ``RANGE_TRIPS``): stored unwrapped, the test against 2**32
    src = run_both(CRC_LIKE.replace("-64", "-8"), [[0], [1], [0xFFFFFFFF]])
    assert "(l1 - 4294967232)" in src and "(l1 - 4294967231)" in src
    assert "if l1 < 4294967232" not in src and "if l1 < 4294967231" not in src
    assert "l1 = l1 + 2\n" in src and "if l1 != 4294967296:" in src and "l1 = 0\n" in src
    # a read of the counter itself: a range, not biased
    src = run_both(CRC_LIKE.replace("(i32.add (local.get 2) (i32.eqz (local.get 1)))",
                                    "(i32.add (local.get 2) (i32.eqz (local.get 1)))").replace(
        "(local.get 0))))", "(local.get 1))))"), [[0], [1], [0xFFFFFFFF]])
    assert "for l1 in range(l1, 4294967296, 2):" in src


# ``i`` from 0xFFFFFFF0 by 4 until 8: it wraps through 0, so ``i + 16`` may or may not wrap.
WRAPPING = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32 i32)
    (local.set 1 (i32.const 0xFFFFFFF0))
    (loop
      (local.set 2 (i32.add (local.get 1) (i32.const 16)))
      (local.set 3 (i32.add (i32.mul (local.get 3) (i32.const 3)) (local.get 2)))
      (local.set 1 (i32.add (local.get 1) (i32.const 4)))
      (br_if 0 (i32.ne (local.get 1) (i32.const 8))))
    (local.get 3)))"""


def test_counter_that_wraps_keeps_its_compare() -> None:
    src = run_both(WRAPPING, [[0]])
    assert "if l1 < 4294967280" in src


# ``i < 100`` by 1, but a side path sets ``i`` near the top: the sum may wrap.
SIDE_WRITE = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (loop
      (if (i32.eq (local.get 1) (local.get 0)) (then (local.set 1 (i32.const 0xFFFFFFFF)) (local.set 0 (i32.const 1000))))
      (local.set 2 (i32.add (local.get 1) (i32.const 7)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if 0 (i32.lt_u (local.get 1) (i32.const 100))))
    (local.get 2)))"""


def test_counter_written_on_a_side_path_keeps_its_compare() -> None:
    src = run_both(SIDE_WRITE, [[0], [5], [99], [100]])
    assert "l1 + 7 if l1 < 4294967289" in src
    assert "l1 + 1 if l1 < 4294967295" in src  # 0xFFFFFFFF + 1 wraps


# ``for (i = 0; i < n; i++)``, n unknown (unsigned): ``i + 1`` never wraps.
UP_TO_N = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (block (br_if 0 (i32.eqz (local.get 0)))
      (loop
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 7)) (local.get 1)))
        (br_if 0 (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0)))))
    (local.get 2)))"""


def test_counter_below_a_variable_bound() -> None:
    src = run_both(UP_TO_N, [[0], [1], [50]])
    assert "l1 = l1 + 1" in src


# Two nested loops: a pointer advanced by 8 in the inner one (aligned from an aligned
# start), a row pointer advanced by 64 in the outer one.
NESTED = """(module (memory 1)
  (func (export "f") (param i32) (result i32) (local i32 i32 i32 i32)
    (local.set 1 (i32.const 1024))
    (loop
      (local.set 2 (local.get 1))
      (local.set 3 (i32.const 0))
      (loop
        (local.set 4 (i32.add (local.get 4) (i32.add (i32.load (local.get 2)) (i32.load offset=4 (local.get 2)))))
        (i32.store (local.get 2) (i32.add (local.get 3) (local.get 0)))
        (local.set 2 (i32.add (local.get 2) (i32.const 8)))
        (br_if 0 (i32.ne (local.tee 3 (i32.add (local.get 3) (i32.const 1))) (i32.const 8))))
      (br_if 0 (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 64))) (i32.const 4096))))
    (local.get 4)))"""


def test_nested_pointers_are_known_aligned() -> None:
    src = run_both(NESTED, [[0], [3]])
    if VIEW_ACCESSES:  # (CPython: tier 1 reads aligned words through views)
        assert "U_i32_load(" not in src and "P_i32_store(" not in src  # no alignment check left
    # both counters stepped without a wrap compare: as ``range`` loops (see ``counted``)
    assert "for l3 in range(l3, 8):" in src and "for l1 in range(l1, 4096, 64):" in src
    assert "l1 = l1 + 64" in src  # (on exhaustion: what the step leaves, past the bound)


# The induction variable arrives by a branch's copies (a loop parameter) and by a
# call's result on one path.
CARRIED = """(module
  (func $g (param i32) (result i32) (i32.add (local.get 0) (i32.const 0x7FFFFFFF)))
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (i32.const 0)
    (loop (param i32) (result i32)
      (if (param i32) (result i32) (i32.eq (local.get 0) (i32.const 3))
        (then (call $g)) (else))
      (i32.const 1) (i32.add)
      (local.tee 2)
      (local.set 1 (i32.add (local.get 1) (i32.add (local.get 2) (i32.const 0xFFFFFFF0))))
      (br_if 0 (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const 10))))
    (local.get 1) (i32.add)))"""


def test_values_carried_by_copies_and_calls() -> None:
    src = run_both(CARRIED, [[0], [3], [9], [11]], name="f")
    assert "t0 + 1 if t0 < 4294967295" in src  # the value from the call may be anything


def _random_loop(rng: random.Random) -> str:
    """A loop over counter ``l1`` near an edge of the i32 range (by a step, up to or
    down to a bound by ``ne``, ``lt_u``, ``gt_u``, ``lt_s`` or ``br_if`` on the value),
    with a second register ``l4`` stepped along, sums ``l1 + K`` and ``l4 + K`` that
    may wrap, and sometimes a side write, an early exit or an early ``continue``,
    or an outer loop entering it again."""
    edges = [0, 1, 2, 3, 4, 8, 100, 0x7FFFFFF0, 0x7FFFFFFF, 0x80000000, 0xFFFFFF00, 0xFFFFFFF0,
             0xFFFFFFFC, 0xFFFFFFFE, 0xFFFFFFFF]
    steps = [1, 2, 4, 8, 768, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFC, 0xFFFFFD00]
    start = rng.choice(edges)
    step = rng.choice(steps)
    bound = (start + step * rng.randrange(1, 40)) & 0xFFFFFFFF if rng.random() < 0.7 else rng.choice(edges)
    cond = rng.choice(["ne", "lt_u", "gt_u", "lt_s", "ge_u", "nz"])
    if cond == "nz" and rng.random() < 0.5:  # a start from which the steps reach 0 exactly
        start = -step * rng.randrange(1, 40) % (1 << 32)
    test = ("(local.get 1)" if cond == "nz"
            else f"(i32.{cond} (local.get 1) (i32.const {bound}))")
    k = rng.choice(edges + [16786433, 4278180863])
    side = ""
    if rng.random() < 0.3:
        reg = rng.choice([1, 4])
        side = f"(if (i32.eq (local.get 3) (i32.const {rng.randrange(5)})) (then (local.set {reg} (i32.const {rng.choice(edges)}))))"
    again = f"(br_if 1 (i32.eq (local.get 3) (i32.const {rng.randrange(6)})))" if rng.random() < 0.3 else ""
    use = rng.choice(["(i32.add (local.get {r}) (i32.const {k}))", "(i32.sub (local.get {r}) (i32.const {k}))",
                      "(i32.add (i32.shl (local.get {r}) (i32.const 2)) (i32.const {k}))"]).format(r=rng.choice([1, 4]), k=k)
    second = rng.choice(["", f"(local.set 4 (i32.add (local.get 4) (i32.const {rng.choice(steps)})))"])
    inner = f"""(block (loop (block
      (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 31)) {use}))
      {side}
      (local.set 3 (i32.add (local.get 3) (i32.const 1)))
      (br_if 2 (i32.gt_u (local.get 3) (i32.const 60)))
      {second}
      {again}
      (local.set 1 (i32.add (local.get 1) (i32.const {step})))
      (br_if 1 {test}))))"""
    if rng.random() < 0.4:  # entered again, with what the last round left, or afresh
        fresh = rng.choice(["", "(local.set 3 (i32.const 0))", "(local.set 1 (local.get 4)) (local.set 3 (i32.const 0))"])
        inner = f"""(loop {inner} (local.set 4 (i32.add (local.get 1) (i32.const 8))) {fresh}
      (br_if 0 (i32.lt_u (local.tee 5 (i32.add (local.get 5) (i32.const 1))) (i32.const 3))))"""
    return f"""(module
  (func (export "f") (param i32) (result i32) (local i32 i32 i32 i32 i32)
    (local.set 1 (i32.add (i32.const {start}) (i32.and (local.get 0) (i32.const {rng.choice([0, 0, 3, 255])}))))
    (local.set 4 (i32.const {rng.choice(edges)}))
    {inner}
    (i32.add (i32.add (local.get 2) (i32.eqz (local.get 1))) (i32.add (local.get 4) (local.get 1)))))"""


@pytest.mark.parametrize("seed", range(60))
def test_random_counters_agree_with_tier0(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(5):
        run_both(_random_loop(rng), [[0], [1], [2], [255]])


def _holds(v: int, f: Any) -> bool:
    lo, hi, z = f
    return v % (1 << z) == 0 and any(lo <= w <= hi for w in (v, v + intervals.M))


def check_facts(wat: str, args: List[int]) -> int:
    """Run the IR of ``wat``'s first function on each argument (a reference
    interpreter) checking that every fact ``analyse`` claims for an operand holds
    for the value read there; how many checks there were."""
    module = parse_module(wat)
    validate_module(module)
    ir, _, _ = codegen.translate(module, 0)
    facts = intervals.analyse(ir.code, ir.consts, lambda ins: 1,
                              range(len(ir.type.params), len(ir.type.params) + len(ir.local_types)))
    checked = 0
    for arg in args:
        regs = [arg] + [0] * (ir.nlocals + ir.ntemps + 1)
        pc = 0
        for _ in range(5000):
            if not 0 <= pc < len(ir.code):
                break
            ins = ir.code[pc]
            vals = [regs[x] if x >= 0 else ir.consts[-1 - x] for x in ins.a]
            for k, v in enumerate(vals):
                f = facts.get((id(ins), k))
                if f is not None:
                    assert _holds(v, f), (pc, ins, k, v, f)
                    checked += 1
            op = ins.op
            if not ins.is_branch():
                regs[ins.dst] = vals[0] if op == "copy" else numeric.evaluator(op)(*vals)
                pc += 1
                continue
            if op == "br_table":  # (the last arm is the default)
                target, copies = ins.imm[min(vals[0], len(ins.imm) - 1)]
                for d, x in copies:
                    regs[d] = regs[x] if x >= 0 else ir.consts[-1 - x]
                pc = target
                continue
            kind, _, cmp = op.partition(".")
            if kind == "br" or (bool(numeric.evaluator(cmp)(*vals)) if cmp else bool(vals[0])) == (kind == "br_if"):
                for d, x in ins.copies:
                    regs[d] = regs[x] if x >= 0 else ir.consts[-1 - x]
                pc = ins.target
            else:
                pc += 1
    return checked


def test_facts_hold_along_random_loops() -> None:
    rng = random.Random(7)
    assert sum(check_facts(_random_loop(rng), [0, 1, 255]) for _ in range(150)) > 10000


# After the inner loop ``l2 = l1 + 5`` (related to l1's value at the inner head);
# entering it again, that relation is stale: refining l1 says nothing about l2.
REENTERED = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32 i32)
    (local.set 0 (i32.const 10))
    (loop
      (local.set 1 (i32.const 0))
      (loop
        (if (i32.eq (local.get 1) (i32.const 3)) (then (local.set 3 (i32.add (local.get 3) (local.get 2)))))
        (br_if 0 (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0))))
      (local.set 2 (i32.add (local.get 1) (i32.const 5)))
      (br_if 0 (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 10))) (i32.const 40))))
    (local.get 3)))"""


def test_relations_do_not_outlive_their_loop_entry() -> None:
    assert check_facts(REENTERED, [0]) > 100
    run_both(REENTERED, [[0]])


def counted(early: bool, stored: bool = True) -> str:
    """A pointer stepped by 32 while a counter runs to a constant (linked_list's
    fill loop); ``early``: a ``continue`` before the counter's step (the pointer may
    then go round any number of times, unless an access bounds it); ``stored``:
    the pointer is an address (else only a value)."""
    skip = "(br_if 1 (i32.eq (local.get 0) (i32.const 7)))" if early else ""
    use = ("(i32.store (i32.add (local.get 1) (i32.const 28)) (local.get 2))" if stored else
           "(local.set 3 (i32.xor (local.get 3) (i32.add (local.get 1) (i32.const 28))))")
    return f"""(module (memory 1)
  (func (export "f") (param i32) (result i32) (local i32 i32 i32)
    (local.set 1 (i32.const 1024))
    (loop (block
      {use}
      (local.set 1 (i32.add (local.get 1) (i32.const 32)))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      {skip}
      (br_if 1 (i32.ne (local.tee 2 (i32.add (local.get 2) (i32.const 8))) (i32.const 1024)))))
    (i32.add (local.get 1) (local.get 3))))"""


def test_pointer_counted_by_its_loop() -> None:
    src = run_both(counted(False), [[0], [9]])
    assert "(l1 + 28)" in src and "l1 + 28 if" not in src
    if VIEW_ACCESSES:
        assert "VI[((l1 + 28)) >> 2]" in src
    src = run_both(counted(True, stored=False), [[0], [9]])
    assert "l1 + 32 if l1 < 4294967264" in src
    src = run_both(counted(True), [[0], [9]])  # every round's store bounds it
    assert "(l1 + 28)" in src and "l1 + 28 if" not in src


# nbody's form: the pointer's next value is computed early into another local and
# copied back at the end (two writes to it in the loop, one step in all).
VIA_COPY = """(module (memory 1)
  (func (export "f") (param i32) (result i32) (local i32 i32 i32)
    (local.set 1 (i32.const 2048))
    (loop
      (local.set 3 (i32.add (local.get 1) (i32.const 56)))
      (i32.store (i32.add (local.get 1) (i32.const 96)) (local.get 0))
      (local.set 1 (i32.add (local.get 1) (i32.const 8)))
      (i32.store (local.get 1) (local.get 2))
      (local.set 1 (local.get 3))
      (br_if 0 (i32.ne (local.tee 2 (i32.add (local.get 2) (i32.const 1))) (i32.const 20))))
    (i32.load (i32.const 2104))))"""


def test_pointer_stepped_through_a_copy() -> None:
    src = run_both(VIA_COPY, [[0], [5]])
    if VIEW_ACCESSES:  # ``l1`` is held as a view index, ``i1 = l1 >> 2``: see ``codegen._scaled_webs``
        assert "VI[(i1 + 24)]" in src and "+ 24 if" not in src and "& 1073741823" not in src
    else:  # (PyPy: accesses through struct, on addresses)
        assert "(l1 + 96)" in src and "l1 + 96 if" not in src


# ``l1`` goes 0, 2**31, 0, ... : its interval [0, 2**31] says nothing about how often
# the loop goes round (its step wraps), so ``l2`` stays unbounded.
HALF_STEP = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32 i32)
    (block (loop
      (local.set 3 (i32.add (local.get 3) (i32.add (local.get 2) (i32.const 0xFFFFFFFE))))
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (local.set 1 (i32.add (local.get 1) (i32.const 0x80000000)))
      (br_if 1 (i32.eq (local.get 2) (local.get 0)))
      (br_if 0 (i32.lt_u (local.get 1) (i32.const 0xFFFFFFFF)))))
    (local.get 3)))"""


def test_a_step_of_half_the_range_counts_nothing() -> None:
    run_both(HALF_STEP, [[1], [2], [10]])
    assert check_facts(HALF_STEP, [10]) > 10


# nbody's form: ``j`` counts down from 4 as ``i`` counts up from 0; under ``i <= 3``,
# ``j >= 1``, so the inner countdown from ``j`` goes round at most 4 times and the
# pointer it steps stays far from wrapping.
OPPOSED = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32 i32 i32 i32)
    (local.set 2 (i32.const 4))
    (local.set 3 (i32.const 1024))
    (loop
      (if (i32.le_u (local.get 1) (i32.const 3)) (then
        (local.set 4 (local.get 2))
        (local.set 5 (local.get 3))
        (loop
          (local.set 0 (i32.xor (i32.mul (local.get 0) (i32.const 31)) (i32.add (local.get 5) (i32.const 60))))
          (local.set 5 (i32.add (local.get 5) (i32.const 56)))
          (br_if 0 (local.tee 4 (i32.sub (local.get 4) (i32.const 1)))))))
      (local.set 3 (i32.add (local.get 3) (i32.const 56)))
      (local.set 2 (i32.sub (local.get 2) (i32.const 1)))
      (br_if 0 (i32.ne (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (i32.const 5))))
    (i32.add (local.get 0) (local.get 2))))"""


def test_registers_stepped_in_opposite_directions() -> None:
    src = run_both(OPPOSED, [[0], [7]])
    assert "l5 = l5 + 56\n" in src and "l4 = l4 - 1\n" in src
    assert check_facts(OPPOSED, [0, 3]) > 50
    # the same sum, but one of them written on a side path: nothing known
    side = OPPOSED.replace("(local.set 3 (i32.add", "(if (i32.eq (local.get 1) (local.get 0)) (then (local.set 2 (i32.const 0))))\n      (local.set 3 (i32.add")
    src = run_both(side, [[4], [9]])  # (4: in the last round, which skips the inner loop)
    assert "l5 + 56 if" in src and "l4 + 4294967295 if" in src


def _opposed_loop(rng: random.Random) -> str:
    """Two registers stepped by a step and (mostly) its negation from constants near
    the edges, a branch on one of them, a use of the other that may wrap, sometimes
    a side write or an early ``continue``."""
    edges = [0, 1, 2, 4, 100, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFE, 0xFFFFFFFF]
    step = rng.choice([1, 2, 8, 0xFFFFFFFF, 0xFFFFFFF8])
    other = rng.choice([-step % (1 << 32)] * 3 + [step, 1])
    bound = rng.choice(edges + [(rng.choice(edges) + step * rng.randrange(5)) & 0xFFFFFFFF])
    side = ""
    if rng.random() < 0.3:
        side = f"(if (i32.eq (local.get 3) (i32.const {rng.randrange(8)})) (then (local.set {rng.choice([1, 2])} (i32.const {rng.choice(edges)}))))"
    skip = f"(br_if 1 (i32.eq (local.get 3) (i32.const {rng.randrange(8)})))" if rng.random() < 0.3 else ""
    cmp = rng.choice(["lt_u", "gt_u", "le_u", "ne", "eq"])
    x = rng.choice([1, 2])  # tested; the other one used
    return f"""(module
  (func (export "f") (param i32) (result i32) (local i32 i32 i32 i32)
    (local.set 1 (i32.const {rng.choice(edges)}))
    (local.set 2 (i32.const {rng.choice(edges)}))
    (loop (block
      (if (i32.{cmp} (local.get {x}) (i32.const {bound})) (then
        (local.set 4 (i32.add (i32.mul (local.get 4) (i32.const 31))
          (i32.add (local.get {3 - x}) (i32.const {rng.choice(edges)}))))))
      {side}
      (local.set 3 (i32.add (local.get 3) (i32.const 1)))
      {skip}
      (local.set 1 (i32.add (local.get 1) (i32.const {step})))
      (local.set 2 (i32.add (local.get 2) (i32.const {other})))
      (br_if 1 (i32.lt_u (local.get 3) (i32.const {rng.choice([3, 9, 40])})))))
    (i32.add (local.get 4) (local.get 0))))"""


def test_facts_hold_along_opposed_registers() -> None:
    rng = random.Random(11)
    checked = 0
    for _ in range(150):
        wat = _opposed_loop(rng)
        checked += check_facts(wat, [0, 5])
        run_both(wat, [[0], [5]])
    assert checked > 2000


# A pointer walked to a 0 byte (C's strlen): after the byte read at ``p`` did not
# trap, ``p`` lies below the largest memory, so ``p + 1`` does not wrap.
STRLEN = """(module (memory 1) (data (i32.const 100) "hello")
  (func (export "f") (param i32) (result i32) (local i32 i32 i32)
    (local.set 1 (local.get 0))
    (loop  ;; (xoring the bytes: not a mere walk, which is one find: see test_codegen)
      (local.set 2 (i32.load8_u (local.get 1)))
      (local.set 3 (i32.xor (local.get 3) (local.get 2)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if 0 (local.get 2)))
    (i32.add (i32.sub (local.get 1) (local.get 0)) (local.get 3))))"""


def test_pointer_bounded_by_its_access() -> None:
    src = run_both(STRLEN, [[100], [0], [65535]])
    assert "l1 = l1 + 1\n" in src
    with pytest.raises(Trap, match="out of bounds"):
        run_both(STRLEN, [[65536]])
    # every access is below the largest memory, at least a page short of 2**32
    assert intervals.REACH <= (1 << 32) - 65536


def test_memories_are_below_4_gib() -> None:
    """The limit ``intervals`` relies on: no memory reaches 65536 pages."""
    from wasmlite.runtime.objects import MAX_PAGES, MemoryInstance
    from wasmlite import syntax

    assert MAX_PAGES == 65535
    with pytest.raises(MemoryError):
        MemoryInstance(syntax.MemoryType(syntax.Limits(65536, None)))
    m = MemoryInstance(syntax.MemoryType(syntax.Limits(0, 65536)))
    assert m.max == 65535
    assert engine.call(load('(module (memory 0) (func (export "f") (result i32) (memory.grow (i32.const 65536))))').exports["f"], []) == [0xFFFFFFFF]
    with pytest.raises(LinkError):
        load("(module (memory 65536))")


COUNT_TO_N = """(module
  (func (export "f") (param i32) (result i32) (local i32)
    (block (br_if 0 (i32.eqz (local.get 0)))
      (loop (br_if 0 (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0)))))
    (local.get 1)))"""


def test_counter_below_a_variable_bound_takes_two_walks(monkeypatch: Any) -> None:
    """A counter stepped up widens past 1 and 2**31 - 1 (no compare stops it there)
    straight to ``2**32 - 2``, and an innermost loop's facts come from the walk
    under the guess that held: two walks of the loop, not five."""
    assert _loop_walks(COUNT_TO_N, [1], monkeypatch) == ((0, intervals.M - 2, 0), 2)


# A counter up to n beside a register compared with many constants: those are no
# thresholds of the counter (nothing compares it with them).
COUNT_BESIDE_CONSTANTS = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (block (br_if 0 (i32.eqz (local.get 0)))
      (loop
        (local.set 2 (i32.and (i32.add (i32.mul (local.get 2) (i32.const 7)) (local.get 1)) (i32.const 255)))
        (block
          (br_if 0 (i32.lt_u (local.get 2) (i32.const 10)))
          (br_if 0 (i32.gt_u (local.get 2) (i32.const 200)))
          (br_if 0 (i32.eq (local.get 2) (i32.const 30)))
          (br_if 0 (i32.eq (local.get 2) (i32.const 40)))
          (br_if 0 (i32.eq (local.get 2) (i32.const 50)))
          (local.set 2 (i32.const 3)))
        (br_if 0 (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0)))))
    (i32.add (local.get 1) (local.get 2))))"""


def _loop_walks(wat: str, zeroed: List[int], monkeypatch: Any, op: str = "i32.add") -> Any:
    """``analyse`` of ``wat``'s first function: the fact on the counter (register 1)
    where ``op`` steps it, and the number of walks of loops."""
    module = parse_module(wat)
    validate_module(module)
    ir, _, _ = codegen.translate(module, 0)
    heads: List[int] = []
    walk = intervals._Walk.walk

    def counting(self: Any, pc: int, stop: int, s: Any, head: int = -1) -> Any:
        heads.append(head)
        return walk(self, pc, stop, s, head)

    monkeypatch.setattr(intervals._Walk, "walk", counting)
    facts = intervals.analyse(ir.code, ir.consts, lambda ins: 1, zeroed)
    monkeypatch.setattr(intervals._Walk, "walk", walk)
    step = next(ins for ins in ir.code if ins.op == op and ins.a[0] == 1 and ins.d == 1)
    return facts.get((id(step), 0)), sum(h >= 0 for h in heads)


def test_counter_widens_past_other_registers_constants(monkeypatch: Any) -> None:
    """Proven at the fourth walk (the other register's widenings), not the seventh."""
    assert _loop_walks(COUNT_BESIDE_CONSTANTS, [1, 2], monkeypatch) == ((0, intervals.M - 2, 0), 4)
    assert check_facts(COUNT_BESIDE_CONSTANTS, [0, 1, 40, 300]) > 1000
    assert "l1 = l1 + 1" in run_both(COUNT_BESIDE_CONSTANTS, [[0], [1], [40], [300]])


def test_only_failing_facts_are_widened(monkeypatch: Any) -> None:
    """A failed guess widens the facts the back edges broke; the others are kept as
    they are, without their thresholds (``stepped_bounds`` sorts a set per call)."""
    widened: List[Any] = []
    widen = intervals._widen
    monkeypatch.setattr(intervals, "_widen", lambda f, g, bounds: widened.append((f, g)) or widen(f, g, bounds))
    assert _loop_walks(COUNT_BESIDE_CONSTANTS, [1, 2], monkeypatch) == ((0, intervals.M - 2, 0), 4)
    assert widened and all(g is not None and not intervals.within(g, f) for f, g in widened)


# A counter down from 4096 to 0 beside a register compared with many constants
# (sha256's compression loop has one, from 4096 by 1).
COUNT_DOWN_BESIDE_CONSTANTS = COUNT_BESIDE_CONSTANTS.replace(
    "(block (br_if 0 (i32.eqz (local.get 0)))",
    "(local.set 1 (i32.const 4096)) (local.set 2 (local.get 0)) (block").replace(
    "(i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0))",
    "(local.tee 1 (i32.sub (local.get 1) (i32.const 1)))")


def test_counter_down_widens_to_one(monkeypatch: Any) -> None:
    """A counter stepped down widens past the other register's constants straight to
    1 (what ``x - 1`` needs not to wrap): ``1..4096``, proven at the second walk.
    Without thresholds of its own it went down the other register's, one failed
    walk each, and was dropped after six."""
    assert _loop_walks(COUNT_DOWN_BESIDE_CONSTANTS, [1, 2], monkeypatch, "i32.sub") == ((1, 4096, 0), 2)
    assert check_facts(COUNT_DOWN_BESIDE_CONSTANTS, [0, 1, 40, 300]) > 10000
    run_both(COUNT_DOWN_BESIDE_CONSTANTS, [[0], [1], [40], [300]])


def test_narrowing_never_loosens_a_guess(monkeypatch: Any) -> None:
    """Each narrowed guess is within the proven one before it (strings' loops used to
    swing between two guesses, a register's fact dropped and found again, for three
    walks each): a fact the back edges lose stays, the guess proved it."""
    path = os.path.join(os.path.dirname(__file__), "..", "benchmarks", "kernels", "strings.wasm")
    with open(path, "rb") as f:
        module = Module(f.read()).syntax
    tried: List[Any] = []
    try_guess = intervals._Walk.try_guess

    def recording(self: Any, h: int, end: int, guess: Any, rels: Any, incoming: Any) -> Any:
        back = try_guess(self, h, end, guess, rels, incoming)
        held = back is None or all(r in back and intervals.within(back[r], f) for r, f in guess.items())
        tried.append((h, guess, held))
        return back

    monkeypatch.setattr(intervals._Walk, "try_guess", recording)
    nimported = len(module.imports_of(syntax.EXTERN_FUNC))
    for index in range(nimported, nimported + len(module.funcs)):
        ir, root, skip = codegen.translate(module, index)
        codegen._Structured(ir, module, root, skip)  # (its analysis)
    pairs = [(a, b) for (h, a, ok), (g, b, ok2) in zip(tried, tried[1:]) if h == g and ok and ok2]
    assert pairs
    for a, b in pairs:
        assert all(r in b and intervals.within(b[r], f) for r, f in a.items())


def _counted_loop(rng: random.Random, cond: str = "") -> str:
    """A loop in clang's shape, ``x = x + c`` then a ``br_if`` to its head on ``x``
    (``ne``, ``lt_u``, ``gt_u`` with the bound first, the value itself, or ``lt_s``)
    from a start near the bound or an edge, reached exactly or not; the body reads
    ``x`` and sometimes leaves early, continues early, writes ``x`` on a side path or
    runs an inner loop; an outer loop may enter it again; ``x``'s value after the
    loop is part of the result (what a ``range`` loop puts back on exhaustion)."""
    edges = [0, 1, 2, 7, 100, 0x7FFFFFF0, 0x80000000, 0xFFFFFF00, 0xFFFFFFF0, 0xFFFFFFFC, 0xFFFFFFFF]
    step = rng.choice([1, 1, 2, 3, 4, 8, 64, 0x40000000])
    trips = rng.choice([1, 2, 7, 8, 9, 16, 40])
    cond = cond or rng.choice(["ne", "ne", "lt_u", "gt_u", "nz", "lt_s"])
    exact = False  # whether the loop ends by itself, without the guard on ``l3``
    if cond == "nz":
        exact = rng.random() < 0.8
        start = -step * trips % (1 << 32) if exact else rng.choice(edges)
        bound = 0
    else:
        start = rng.choice(edges) if rng.random() < 0.3 else rng.choice([0, 5, 0x7FFFFF00, 0xFFFFF000])
        bound = (start + step * trips + rng.choice([0, 0, 0, 1, -1])) & 0xFFFFFFFF
    x = "(local.tee 1 (i32.add (local.get 1) (i32.const {})))".format(step)
    test = {"ne": f"(i32.ne {x} (i32.const {bound}))", "lt_u": f"(i32.lt_u {x} (i32.const {bound}))",
            "gt_u": f"(i32.gt_u (i32.const {bound}) {x})", "nz": x,
            "lt_s": f"(i32.lt_s {x} (i32.const {bound}))"}[cond]
    extra = ""
    if rng.random() < 0.25:  # leaves early
        extra += f"(br_if $out (i32.eq (local.get 1) (i32.const {(start + step * rng.randrange(4)) & 0xFFFFFFFF})))"
    if rng.random() < 0.15:  # continues early (the step skipped once)
        extra += "(br_if $l (i32.eq (local.get 3) (i32.const 2)))"
    if rng.random() < 0.15:  # a side write of the counter
        exact = False
        extra += f"(if (i32.eq (local.get 3) (i32.const 3)) (then (local.set 1 (i32.const {rng.choice(edges)}))))"
    if rng.random() < 0.25:  # an inner counted loop reading the outer counter
        extra += """(local.set 4 (i32.const 0))
          (loop (local.set 2 (i32.add (local.get 2) (i32.xor (local.get 4) (local.get 1))))
                (br_if 0 (i32.ne (local.tee 4 (i32.add (local.get 4) (i32.const 1))) (i32.const 9))))"""
    outer = rng.random() < 0.3
    exact = exact and not outer  # (entered again at 0, it would count round 2**32)
    k = rng.choice([step * trips, step * trips + 3, 16786432, 5, 0x80000000]) & 0xFFFFFFFF
    use = rng.choice(["(local.get 1)", f"(i32.add (local.get 1) (i32.const {k}))",  # (a sum may be biased)
                      f"(i32.add (i32.const {k}) (local.get 1))"])
    loop = f"""(block $out (loop $l
        (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 31)) {use}))
        (local.set 3 (i32.add (local.get 3) (i32.const 1)))
        {"" if exact and rng.random() < 0.7 else "(br_if $out (i32.gt_u (local.get 3) (i32.const 100)))"}
        {extra}
        (br_if $l {test})))"""
    if outer:  # entered again with what the last round left, or afresh
        fresh = rng.choice(["", f"(local.set 1 (i32.const {start}))"])
        loop = f"""(loop {loop} (local.set 2 (i32.add (local.get 2) (local.get 1))) {fresh}
          (br_if 0 (i32.lt_u (local.tee 5 (i32.add (local.get 5) (i32.const 1))) (i32.const 3))))"""
    return f"""(module
  (func (export "f") (param i32) (result i32) (local i32 i32 i32 i32 i32)
    (local.set 1 (i32.add (i32.const {start}) (i32.and (local.get 0) (i32.const {0 if exact else rng.choice([0, 0, 1, 3, 255])}))))
    {loop}
    (i32.xor (i32.mul (local.get 2) (i32.const 7)) (i32.add (local.get 1) (i32.shl (local.get 3) (i32.const 20))))))"""


def test_random_counted_loops_agree_with_tier0() -> None:
    """Loops tier 1 runs as ``for`` over a ``range`` (``_Structured.counted``), with the
    counter biased by ``-2**32`` (``biased_sums``) or not, and loops it must not (a
    bound overshot, a side write, an early continue or exit, a signed test): the
    results, the counter's value after the loop included, are tier 0's."""
    rng = random.Random(7)
    ranged = biased = 0
    for k in range(400):
        src = run_both(_counted_loop(rng, "nz" if k % 4 == 0 else ""), [[0], [1], [2], [3], [255], [0xFFFFFFFF]])
        ranged += " in range(" in src
        biased += " - 4294967296, 0" in src
    assert ranged >= 50 and biased >= 3


# ``for (i = 0; i != 40; i += 4)``: a range; the same with a write of ``i`` in the
# body, a continue from the body, a bound it may step over, or 4 rounds: a while.
COUNTED = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (block (loop $l
      (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 3)) (local.get 1)))
      BODY
      (br_if $l (i32.ne (local.tee 1 (i32.add (local.get 1) (i32.const 4))) (i32.const END)))))
    (i32.add (local.get 2) (local.get 1))))"""


@pytest.mark.parametrize("body, end, ranged", [
    ("", 40, True),
    ("(if (i32.eq (local.get 2) (local.get 0)) (then (local.set 0 (i32.const -1)) (local.set 1 (i32.const 8))))",
     40, False),
    ("(if (i32.eq (local.get 2) (local.get 0)) (then (local.set 0 (i32.const -1)) (br $l)))", 40, False),
    ("(br_if 1 (i32.gt_u (local.get 1) (i32.const 60)))", 42, False),  # 42 is no multiple of 4: passed
    ("", 16, False),  # 4 rounds: fewer than RANGE_TRIPS
])
def test_counted_loop_shapes(body: str, end: int, ranged: bool) -> None:
    src = run_both(COUNTED.replace("BODY", body).replace("END", str(end)), [[0], [1], [5], [1000]])
    assert ("for l1 in range(l1, 40, 4):" in src) == ranged
    assert ("while True:" in src) != ranged
    if ranged:
        assert "l1 = 40\n" in src  # the counter's value after the loop


# Counting -64 up to 0 by 2, the counter read in sums that always wrap, and BODY.
BIASED = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32 i32)
    (local.set 1 (i32.const -64))
    (block (loop
      (local.set 2 (i32.xor (i32.mul (local.get 2) (i32.const 31)) (i32.add (local.get 1) (i32.const 64))))
      (local.set 3 (i32.add (local.get 3) (i32.const 1)))
      BODY
      (br_if 0 (local.tee 1 (i32.add (local.get 1) (i32.const 2))))))
    (i32.add (i32.mul (local.get 2) (i32.const 3)) (local.get 1))))"""


@pytest.mark.parametrize("body, biased", [
    ("", True),
    ("(br_if 1 (i32.eq (local.get 3) (local.get 0)))", False),  # an exit: the counter seen after it
    ("(local.set 2 (i32.add (local.get 2) (i32.add (local.get 1) (i32.const 8))))", False),  # may not wrap
    ("(local.set 2 (i32.add (local.get 2) (i32.xor (local.get 1) (i32.const 64))))", False),  # no sum
])
def test_biased_counter_only_where_every_read_is_a_wrapping_sum(body: str, biased: bool) -> None:
    src = run_both(BIASED.replace("BODY", body), [[0], [1], [5], [31], [32], [1000]])
    assert ("for l1 in range(l1 - 4294967296, 0, 2):" in src) == biased
    assert "for l1 in range(l1" in src


# A relation (``d = x + 1``) made on one path must not reach the state of another
# path that shares its (empty) relations with it: with ``x`` odd, ``d`` is 1000
# where ``x < 10`` is tested, whatever the relation says on the other path.
SHARED_RELATIONS = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 1)))
    (local.set 1 (i32.const 1000))
    (block
      (br_if 0 (i32.and (local.get 0) (i32.const 1)))
      (local.set 1 (i32.add (local.get 0) (i32.const 1))))
    (local.set 2 (i32.const 7))
    (if (i32.lt_u (local.get 0) (i32.const 10))
      (then (local.set 2 (i32.add (local.get 1) (i32.const 0xFFFFFFF0)))))
    (local.get 2)))"""


def test_a_paths_relation_stays_on_its_path() -> None:
    """A copied state gets its own relations even when they are empty (``step``
    adds to them in place): tier 1 used to drop the wrap of ``d - 16`` for d = 1000."""
    assert check_facts(SHARED_RELATIONS, [0, 3, 4, 9, 10, 11]) > 0
    run_both(SHARED_RELATIONS, [[0], [3], [4], [9], [10], [11]])


def _random_branches(rng: random.Random, depth: int = 0) -> str:
    """Straight code over ``l0 .. l3`` with nested blocks left by ``br_if`` on bits of
    ``l0`` and ``if``s on ``l < K``: sums ``l + K`` (relations) and constants written
    on some paths and not on others, read after the joins."""
    out = []
    for _ in range(rng.randint(1, 4)):
        k = rng.random()
        a, b = rng.randint(1, 3), rng.randint(0, 3)
        if k < 0.35:
            out.append(f"(local.set {a} (i32.add (local.get {b}) (i32.const {rng.choice([1, 5, -16, 100])})))")
        elif k < 0.55 or depth == 3:
            out.append(f"(local.set {a} (i32.const {rng.choice([0, 7, 1000, -3])}))")
        elif k < 0.75:
            out.append(f"(block (br_if 0 (i32.and (local.get 0) (i32.const {rng.choice([1, 2, 4])}))) "
                       f"{_random_branches(rng, depth + 1)})")
        else:
            out.append(f"(if (i32.lt_u (local.get {b}) (i32.const {rng.choice([3, 10, 200])})) "
                       f"(then {_random_branches(rng, depth + 1)}))")
    return " ".join(out)


def test_facts_hold_along_random_branches() -> None:
    """(Before relations were copied with their state, four of these programs got
    facts that did not hold: ``SHARED_RELATIONS`` is their pattern.)"""
    rng = random.Random(7)
    programs = [f"""(module (func (export "f") (param i32) (result i32) (local i32 i32 i32)
      {_random_branches(rng)}
      (i32.add (i32.add (local.get 1) (i32.add (local.get 2) (i32.const 0xFFFFFFF0))) (local.get 3))))"""
                for _ in range(1000)]
    assert sum(check_facts(wat, [0, 1, 2, 3, 5, 7, 9, 11, 200, 255]) for wat in programs) > 50000


def test_states_join_only_the_facts_that_differ(monkeypatch: Any) -> None:
    """Joining two edges' states calls ``join`` only for registers whose facts differ
    (most are the same on both edges: a loop's walks join states per branch target)."""
    calls: List[Any] = []
    join = intervals.join
    monkeypatch.setattr(intervals, "join", lambda a, b: calls.append((a, b)) or join(a, b))
    f, g = (0, 10, 0), (5, 20, 1)
    out = intervals._join_states({1: f, 2: f, 3: f, 4: f, intervals.RELATIONS: {1: (2, 1), 3: (4, 0)}},
                                 {1: f, 2: g, 3: f, intervals.RELATIONS: {1: (2, 1), 3: (4, 1)}})
    assert out == {1: f, 2: (0, 20, 0), 3: f, intervals.RELATIONS: {1: (2, 1)}}
    assert calls == [(f, g)]


def test_fall_through_refines_the_walks_own_state() -> None:
    """A conditional branch sends a refined copy along its taken edge and refines the
    walk's state itself for the edge falling through (no second copy)."""
    module = parse_module("""(module
      (func (export "f") (param i32) (result i32)
        (block (br_if 0 (i32.lt_u (local.get 0) (i32.const 10))) (return (i32.const 1)))
        (local.get 0)))""")
    validate_module(module)
    ir, _, _ = codegen.translate(module, 0)
    pc = next(pc for pc, ins in enumerate(ir.code) if ins.op.startswith("br_if"))
    w = intervals._Walk(ir.code, ir.consts, lambda ins: 1)
    s = {0: (0, 100, 0)}
    after = w.branch(pc, ir.code[pc], s)
    assert after is s and s == {0: (10, 100, 0)}  # falling through: not below 10
    assert w.incoming[ir.code[pc].target] == {0: (0, 9, 0)}  # taken: below 10


def _random_switch(rng: random.Random) -> str:
    """A loop over ``l1`` dispatching on ``l0 + l1`` through a ``br_table`` whose arms
    mostly repeat (C's switch: the default and shared cases), into cases that write
    sums, constants and compared values (``_random_branches``)."""
    depth = rng.randint(2, 4)
    arms = " ".join(str(rng.choice([0, 0, 0, rng.randrange(depth)])) for _ in range(rng.randint(3, 12)))
    body = f"(br_table {arms} (i32.and (i32.add (local.get 0) (local.get 1)) (i32.const 15)))"
    for k in range(depth):
        body = f"(block {body}) {_random_branches(rng, 2)} (br {depth - k})"
    return f"""(module (func (export "f") (param i32) (result i32) (local i32 i32 i32)
      (local.set 1 (i32.const 0))
      (block (loop (block {body})
        (br_if 0 (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (i32.const 20)))))
      (i32.add (i32.add (local.get 1) (i32.add (local.get 2) (i32.const 0xFFFFFFF0))) (local.get 3))))"""


def test_a_switch_sends_a_repeated_arm_twice(monkeypatch: Any) -> None:
    """A ``br_table`` sends its state along each distinct arm twice at most (a copy
    and a join each: state_machine's switch has 40 arms to 3 targets), and the
    facts are those of sending it along every arm."""
    rng = random.Random(11)
    programs = [_random_switch(rng) for _ in range(100)]
    visits: List[List[int]] = []
    branch, send = intervals._Walk.branch, intervals._Walk.send

    def counting_branch(w: Any, pc: int, ins: Any, s: Any) -> Any:
        if ins.op == "br_table":
            visits.append([])
        return branch(w, pc, ins, s)

    def counting_send(w: Any, pc: int, target: int, copies: Any, s: Any) -> None:
        if w.code[pc].op == "br_table":
            visits[-1].append(target)
        send(w, pc, target, copies, s)

    monkeypatch.setattr(intervals._Walk, "branch", counting_branch)
    monkeypatch.setattr(intervals._Walk, "send", counting_send)
    arms = repeats = 0
    for wat in programs:
        module = parse_module(wat)
        validate_module(module)
        ir, _, _ = codegen.translate(module, 0)
        table = next(ins for ins in ir.code if ins.op == "br_table")
        assert all(not copies for _, copies in table.imm)
        args = (ir.code, ir.consts, lambda ins: 1, range(1, 4))
        visits.clear()
        facts = intervals.analyse(*args)
        assert visits and all(v.count(t) <= 2 for v in visits for t in v)
        arms += len(table.imm)
        repeats += len(table.imm) - len({t for t, _ in table.imm})
        with monkeypatch.context() as m:
            m.setattr(intervals, "_arms", lambda imm: [(t, tuple(c)) for t, c in imm])
            assert intervals.analyse(*args) == facts
    assert repeats > arms // 3
    assert sum(check_facts(wat, [0, 1, 5, 6, 11]) for wat in programs) > 500000


def _rotated_loop(rng: random.Random) -> str:
    """A loop testing its counter ``x`` (local 1) in the middle, mandelbrot's shape:
    straight code ``A``, a branch out when ``x`` passes a constant (``gt_u``,
    ``ge_u``, the constant first with ``lt_u``/``le_u``, or a signed test), ``x = x
    + c``, then code that may leave, continue or write ``x``, and a test going
    round. ``A`` may read or write ``x``, trap (a quotient by zero, a load past the
    end of memory) at some round, or be long; an outer loop may enter again; ``x``
    is part of the result. Starts and constants near each other and the edges."""
    edges = [0, 1, 5, 48, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFE, 0xFFFFFFFF]
    step = rng.choice([1, 1, 1, 2, 3, 16, 0x40000000])
    limit = rng.choice(edges) if rng.random() < 0.4 else rng.choice([10, 48, 100])
    start = rng.choice(edges) if rng.random() < 0.3 else (limit - step * rng.choice([0, 1, 7, 8, 9, 30])) & 0xFFFFFFFF
    test = rng.choice([f"(i32.gt_u (local.get 1) (i32.const {limit}))", f"(i32.ge_u (local.get 1) (i32.const {limit}))",
                       f"(i32.lt_u (i32.const {limit}) (local.get 1))", f"(i32.le_u (i32.const {limit}) (local.get 1))",
                       f"(i32.gt_s (local.get 1) (i32.const {limit}))"])
    a = ["(local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 31)) (local.get 3)))",
         "(local.set 3 (i32.add (local.get 3) (i32.const 1)))"]
    if rng.random() < 0.15:
        a.append("(local.set 2 (i32.xor (local.get 2) (local.get 1)))")  # A reads x
    if rng.random() < 0.1:
        a.append("(local.set 1 (i32.add (local.get 1) (i32.const 0)))")  # A writes x
    if rng.random() < 0.2:  # a trap at round k
        k = rng.choice([1, 5, 9, 12])
        a.append(f"(local.set 4 (i32.div_u (i32.const 1000) (i32.sub (local.get 3) (i32.const {k}))))")
    if rng.random() < 0.2:  # past the end of memory at round k
        k = rng.choice([3, 10, 40])
        a.append(f"(local.set 4 (i32.load8_u (i32.add (i32.mul (local.get 3) (i32.const 2048)) (i32.const {65535 - 2048 * k + 2048}))))")
    if rng.random() < 0.1:  # too long to write twice
        a += ["(local.set 4 (i32.add (local.get 4) (local.get 2)))"] * 16
    b = []
    if rng.random() < 0.3:  # leaves early
        b.append(f"(br_if $out (i32.eq (i32.and (local.get 2) (i32.const 7)) (i32.const {rng.randrange(8)})))")
    if rng.random() < 0.2:  # continues early
        b.append("(br_if $l (i32.eq (i32.and (local.get 3) (i32.const 3)) (i32.const 1)))")
    if rng.random() < 0.1:  # writes x on a side path
        b.append(f"(if (i32.eq (local.get 3) (i32.const 4)) (then (local.set 1 (i32.const {rng.choice(edges)}))))")
    b.append("(br_if $out (i32.gt_u (local.get 3) (i32.const 300)))")  # (a counter that wraps would go on)
    back = rng.choice(["(br $l)", "(br_if $l (i32.ne (i32.and (local.get 2) (i32.const 15)) (i32.const 3)))"])
    after = "" if rng.random() < 0.8 else "(local.set 2 (i32.add (local.get 2) (i32.const 1)))"  # (the exit is not the loop's end)
    loop = f"""(block $out (loop $l {" ".join(a)}
        (br_if $out {test})
        (local.set 1 (i32.add (local.get 1) (i32.const {step})))
        {" ".join(b)} {back}) {after})"""
    if rng.random() < 0.3:  # entered again with what the last round left, or afresh
        fresh = rng.choice(["", f"(local.set 1 (i32.const {start}))"])
        loop = f"""(loop {loop} (local.set 2 (i32.add (local.get 2) (local.get 1))) {fresh}
          (br_if 0 (i32.lt_u (local.tee 5 (i32.add (local.get 5) (i32.const 1))) (i32.const 3))))"""
    return f"""(module (memory 1)
  (func (export "f") (param i32) (result i32) (local i32 i32 i32 i32 i32)
    (local.set 1 (i32.add (i32.const {start}) (i32.and (local.get 0) (i32.const {rng.choice([0, 1, 3, 255])}))))
    {loop}
    (i32.xor (i32.mul (local.get 2) (i32.const 7))
             (i32.add (i32.shr_u (local.get 1) (i32.const 1)) (i32.shl (local.get 3) (i32.const 20))))))"""


def test_random_rotated_loops_agree_with_tier0() -> None:
    """Loops testing their counter in the middle that tier 1 runs as a ``for`` over a
    ``range`` with the code before the test written again for exhaustion
    (``_Structured.rotated``), and loops it must not: results, traps and the
    counter after the loop as tier 0's."""
    rng = random.Random(11)
    rotated = 0
    for k in range(400):
        src = run_both(_rotated_loop(rng), [[0], [1], [2], [3], [255], [0xFFFFFFFF]], traps=True)
        rotated += "for l1 in range(l1 + " in src
    assert rotated >= 30


# ``for (i = 0; i < 50; i++) { z = z * 3 + 1; if (i > 48) break; ...; if (z & 7) continue; break; }``
# as clang lays it out (mandelbrot's inner loop): the test in the middle.
ROTATED = """(module
  (func (export "f") (param i32) (result i32) (local i32 i32 i32)
    (local.set 1 (i32.and (local.get 0) (i32.const 63)))
    (block $out (loop $l
      (local.set 2 (i32.add (i32.mul (local.get 2) (i32.const 3)) (i32.const 1)))
      (local.set 3 (i32.add (local.get 3) (local.get 2)))
      (br_if $out (i32.gt_u (local.get 1) (i32.const 48)))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.and (local.get 2) (i32.const 7)))))
    (i32.add (i32.mul (local.get 1) (i32.const 1000003))
             (i32.xor (i32.xor (local.get 2) (local.get 3)) (i32.shr_u (local.get 1) (i32.const 3))))))"""


@pytest.mark.parametrize("change", ["", "reads", "writes", "writes_after", "wraps", "short", "signed"])
def test_rotated_loop_shapes(change: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mid-loop counter test is a range, the code before it written twice; it stays
    a ``while`` where that code reads or writes the counter, where ``x + 1`` may wrap,
    where the interval allows fewer than ``RANGE_TRIPS`` rounds, or for a signed test;
    and in metered code, whose fuel (spent at the loop head) agrees with tier 0's."""
    from test_codegen import spent_fuel

    wat = ROTATED
    if change == "reads":
        wat = wat.replace("(i32.const 1)))\n      (local.set 3", "(local.get 1)))\n      (local.set 3")
    elif change == "writes":
        wat = wat.replace("(local.set 3 (i32.add", "(local.set 1 (i32.or (local.get 1) (i32.const 0))) (local.set 3 (i32.add")
    elif change == "writes_after":
        wat = wat.replace("(i32.const 1)))\n      (br_if $l", "(i32.const 1)))\n      (local.set 1 (i32.add (local.get 1) (i32.and (local.get 2) (i32.const 1))))\n      (br_if $l")
    elif change == "wraps":  # by 16 from near 2**32 to 0xFFFFFFF0, not past it: on to 0
        wat = wat.replace("(i32.const 48)", "(i32.const -16)").replace(
            "(local.get 1) (i32.const 1))", "(local.get 1) (i32.const 16))").replace(
            "(i32.and (local.get 0) (i32.const 63))",
            "(i32.sub (i32.const -16) (i32.shl (i32.and (local.get 0) (i32.const 3)) (i32.const 4)))")
    elif change == "short":
        wat = wat.replace("(i32.and (local.get 0) (i32.const 63))", "(i32.add (i32.const 44) (i32.and (local.get 0) (i32.const 1)))")
    elif change == "signed":
        wat = wat.replace("i32.gt_u (local.get 1)", "i32.gt_s (local.get 1)")
    assert (wat != ROTATED) == bool(change)
    src = run_both(wat, [[x] for x in (0, 1, 2, 3, 40, 48, 49, 50, 0x7FFFFFFF, 0xFFFFFFFF)])
    if change:
        assert "in range(" not in src
    else:
        assert "for l1 in range(l1 + 1, 50):" in src and src.count("l3 = (l3 + l2) & 0xFFFFFFFF") == 2
    args = [0, 1, 40, 48, 49, 63]
    expected = spent_fuel(wat, args)
    monkeypatch.setattr(interp, "TIER", "1")
    assert spent_fuel(wat, args) == expected
