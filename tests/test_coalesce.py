"""Tests of copy coalescing in tier 1 (``engine.coalesce``): a loop-carried copy is
written into its destination at once where the old value's readers can run first,
and stays where a path still reads the old value or the source; results and traps
agree with tier 0 (which has no such pass). (The random loops found a main bug
too: a pure operation over a trapping one in a select's arm, ``test_codegen``'s
``test_select_arms_take_pure_expressions_only``.)"""

from __future__ import annotations

import random
import re
from typing import Any, List

import pytest

from conftest import to_tier1
from test_codegen import both_tiers, load, no_disk_cache  # noqa: F401 (an autouse fixture)
from test_intervals import run_both
from wasmlite.engine import cache, codegen, coalesce
from wasmlite.text import parse_module
from wasmlite.validate import validate_module


def source(wat: str, args: List[List[Any]]) -> str:
    """Tier 1's source of ``f``, after checking that it returns what tier 0 does
    (floats bit for bit)."""
    both_tiers(wat, "f", args)
    cache.clear_memory()
    inst = load(wat)
    to_tier1(inst)
    return inst.exports["f"].compiled.gen.source  # type: ignore[no-any-return]


def taken(wat: str) -> int:
    """How many copies ``coalesce`` takes in ``f`` (the module's only function)."""
    module = parse_module(wat)
    validate_module(module)
    ir, root, _ = codegen.translate(module, 0)
    new = coalesce.coalesce(ir, root, lambda ins: 1)
    return sum(1 for x, y in zip(ir.code, new.code) if x.op == "copy" and y.a != x.a)


# mandelbrot's inner loop (clang's locals): zr2 = cr + (zr*zr - zi*zi), written to l5,
# read by zr*zr; zi = 2*zr*zi + ci still reads the old zr (l2); zr = zr2 at the end.
MANDEL = """(module
  (func (export "f") (param f64 f64) (result f64) (local f64 f64 f64 f64 i32 f64)
    (loop
      (local.set 5 (f64.add (local.get 0) (f64.sub (local.get 3) (local.get 4))))
      (local.set 3 (f64.mul (local.get 5) (local.get 5)))
      (local.set 7 (f64.add (f64.mul (f64.add (local.get 2) (local.get 2)) (local.get 7)) (local.get 1)))
      (local.set 4 (f64.mul (local.get 7) (local.get 7)))
      (local.set 2 (local.get 5))
      (br_if 0 (i32.and (f64.le (f64.add (local.get 3) (local.get 4)) (f64.const 4))
                        (i32.lt_u (local.tee 6 (i32.add (local.get 6) (i32.const 1))) (i32.const 50)))))
    (f64.add (local.get 2) (f64.mul (local.get 7) (f64.const 3)))))"""

ARGS = [[-0.5, 0.25], [0.3, -0.6], [-2.0, 1.5], [0.0, 0.0], [float("nan"), 1.0], [1e308, -1e308]]


def test_mandelbrot_copy_goes() -> None:
    src = source(MANDEL, ARGS)
    assert taken(MANDEL) == 1
    assert not re.search(r"\bl2 = l5\b", src)  # zr's new value goes into l2 itself
    assert re.search(r"\bl2 = \(?l0 \+", src)


@pytest.mark.parametrize("change, why", [
    # the source read after the copy
    ("(f64.add (local.get 5) (f64.mul (local.get 7) (f64.const 3)))", "b live after"),
    # the destination read where the loop is left before the copy (an exit)
    ("EXIT", "a live at an exit"),
    # the old value's reader also reads the new one: it cannot run first
    ("READS_NEW", "reader depends on the write"),
    # the old value read after a branch between the write and the copy
    ("LATE_READ", "read in a later segment"),
])
def test_copies_that_stay(change: str, why: str) -> None:
    wat = MANDEL
    if change == "EXIT":
        wat = wat.replace("(local.set 4 (f64.mul (local.get 7) (local.get 7)))",
                          "(local.set 4 (f64.mul (local.get 7) (local.get 7)))\n"
                          "      (br_if 1 (f64.gt (local.get 4) (f64.const 100)))")
        wat = wat.replace("(loop", "(block (loop").replace("(i32.const 50)))))", "(i32.const 50))))))")
    elif change == "READS_NEW":
        wat = wat.replace("(f64.add (local.get 2) (local.get 2))", "(f64.add (local.get 2) (local.get 5))")
    elif change == "LATE_READ":
        wat = wat.replace("(local.set 2 (local.get 5))",
                          "(if (f64.lt (local.get 3) (f64.const 1)) (then (local.set 4 (local.get 2))))\n"
                          "      (local.set 2 (local.get 5))")
    else:
        wat = wat.replace("(f64.add (local.get 2) (f64.mul (local.get 7) (f64.const 3)))", change)
    src = source(wat, ARGS)
    assert taken(wat) == 0, why
    assert re.search(r"\bl2 = l5\b", src), why


def test_copy_at_a_loop_head_stays() -> None:
    """A copy other paths reach (the loop's head) reads the source each path brings."""
    wat = """(module
      (func (export "f") (param i32) (result i32) (local i32 i32)
        (local.set 2 (i32.const 7))
        (loop
          (local.set 1 (local.get 2))
          (local.set 2 (i32.add (local.get 1) (i32.const 3)))
          (br_if 0 (i32.lt_u (local.get 2) (local.get 0))))
        (local.get 1)))"""
    source(wat, [[0], [5], [100]])
    assert taken(wat) == 0


# -- random loops ------------------------------------------------------------------------

NL = 6  # i32 locals 1..6 (0 is the trip count), 7 the loop counter


def _expr(rng: random.Random, depth: int) -> str:
    r = rng.random()
    if depth <= 0 or r < 0.3:
        if rng.random() < 0.8:
            return f"(local.get {rng.randint(1, NL)})"
        return f"(i32.const {rng.choice([0, 1, 3, 7, 255, 0x7FFFFFFF, -1, -8, 40000])})"
    if r < 0.4:  # a write of a local inside the expression
        return f"(local.tee {rng.randint(1, NL)} {_expr(rng, depth - 1)})"
    if r < 0.48:  # a load (keeps its order with stores and traps)
        return f"(i32.load (i32.and {_expr(rng, depth - 1)} (i32.const {rng.choice([0xFC, 0xFFFC, 0x1FFFC])})))"
    if r < 0.54:  # a quotient (may trap)
        return f"(i32.div_u {_expr(rng, depth - 1)} {_expr(rng, depth - 1)})"
    if r < 0.6:
        return f"(select {_expr(rng, depth - 1)} {_expr(rng, depth - 1)} {_expr(rng, depth - 1)})"
    op = rng.choice(["add", "sub", "mul", "xor", "or", "and", "shl", "shr_u", "rotl", "lt_u", "eq"])
    return f"(i32.{op} {_expr(rng, depth - 1)} {_expr(rng, depth - 1)})"


def _random_loop(rng: random.Random) -> str:
    body = []
    for _ in range(rng.randint(2, 9)):
        r = rng.random()
        a, b = rng.randint(1, NL), rng.randint(1, NL)
        if r < 0.3:  # a copy, with a statement writing its source a little before
            body.append(f"(local.set {b} {_expr(rng, 2)})")
            for _ in range(rng.randint(0, 2)):
                body.append(f"(local.set {rng.randint(1, NL)} {_expr(rng, 2)})")
            body.append(f"(local.set {a} (local.get {b}))")
        elif r < 0.4:
            body.append(f"(br_if 1 (i32.eq (i32.and {_expr(rng, 1)} (i32.const 15)) (i32.const 3)))")
        elif r < 0.47:
            body.append(f"(i32.store (i32.and {_expr(rng, 1)} (i32.const 0xFC)) {_expr(rng, 2)})")
        elif r < 0.52:
            body.append(f"(if (i32.and {_expr(rng, 1)} (i32.const 1)) (then (local.set {a} {_expr(rng, 1)})))")
        else:
            body.append(f"(local.set {a} {_expr(rng, 3)})")
    if rng.random() < 0.7:  # a loop-carried copy at the end, as clang leaves them
        a, b = rng.sample(range(1, NL + 1), 2)
        body.append(f"(local.set {b} {_expr(rng, 2)})")
        body.append(f"(local.set {rng.randint(1, NL)} {_expr(rng, 2)})")
        body.append(f"(local.set {a} (local.get {b}))")
    # the result reads some locals only: the others are dead at the exits
    read = rng.sample(range(1, NL + 1), rng.randint(1, NL))
    result = "(i32.load (i32.const 16))"
    for k in read:
        result = f"(i32.add (i32.mul {result} (i32.const 31)) (local.get {k}))"
    init = "\n    ".join(f"(local.set {k} (i32.add (local.get 1) (i32.const {k * 977})))" for k in range(2, NL + 1))
    return f"""(module (memory 1)
  (func (export "f") (param i32 i32) (result i32) (local i32 i32 i32 i32 i32 i32)
    {init}
    (block (loop
      {chr(10).join(body)}
      (br_if 0 (i32.lt_u (local.tee 7 (i32.add (local.get 7) (i32.const 1))) (local.get 0)))))
    {result}))"""


# (301, 308, 358: seeds whose loops fail when the pass drops one of its checks: the
# dependences of the statements moved, their reads of what they jump over, a read of
# the destination after a branch)
@pytest.mark.parametrize("seed", list(range(8)) + [301, 308, 358])
def test_random_loops_agree_with_tier0(seed: int) -> None:
    rng = random.Random(seed)
    count = 0
    for _ in range(40):
        wat = _random_loop(rng)
        count += taken(wat)
        run_both(wat, [[0, 5], [1, 9], [3, 0xFFFFFFFF], [17, 12345], [60, 0x80000000]], traps=True)
    assert count >= 5  # (the pass had work to do)
