"""Tier 1's words held as signed ints (``codegen._signed_webs``): values loaded to be
compared signed (C's ``int``s: sort's) are read from a view of signed words and
compared without the xors of ``i32.lt_s``; every other reader must still see the
wasm value (or one congruent to it where it masks anyway)."""

from __future__ import annotations

import random
import struct

import pytest

from test_codegen_scaled import no_disk_cache, outcomes, pytestmark  # noqa: F401  (views only; no disk cache)


WORDS = [0, 1, 2, 7, 50000, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFF3CB0]
DATA = b"".join(struct.pack("<I", WORDS[(k * 7 + k // 5) % len(WORDS)]) for k in range(64))


def module(body: str, result: str = "(local.get 4)", params: str = "(param i32)") -> str:
    escaped = "".join("\\%02x" % b for b in DATA)
    return f"""(module (memory 1) (data (i32.const 0) "{escaped}")
  (func (export "f") {params} (result i32) (local i32 i32 i32 i32 i32)
    {body}
    {result}))"""


# sort's insertion: x = v[i]; while (v[j] > x) { v[j + 1] = v[j]; j--; } v[j + 1] = x
INSERTION = module("""
    (local.set 3 (i32.const 4))
    (loop
      (local.set 1 (i32.load (local.get 3)))
      (local.set 5 (local.get 3))
      (block (loop
        (br_if 1 (i32.eqz (local.get 5)))
        (local.set 2 (i32.load (i32.sub (local.get 5) (i32.const 4))))
        (br_if 1 (i32.le_s (local.get 2) (local.get 1)))
        (i32.store (local.get 5) (local.get 2))
        (local.set 5 (i32.sub (local.get 5) (i32.const 4)))
        (br 0)))
      (i32.store (local.get 5) (local.get 1))
      (br_if 0 (i32.lt_u (local.tee 3 (i32.add (local.get 3) (i32.const 4))) (local.get 0))))
    (local.set 3 (i32.const 0))
    (loop
      (local.set 4 (i32.add (i32.mul (local.get 4) (i32.const 31)) (i32.load (local.get 3))))
      (br_if 0 (i32.lt_u (local.tee 3 (i32.add (local.get 3) (i32.const 4))) (local.get 0))))""")


def test_insertion_sort_compares_signed_words() -> None:
    src = outcomes(INSERTION, [[4], [40], [256], [70000]])
    assert "Vi[" in src and "^ 0x80000000" not in src and "l2 <= l1" in src


def twice(body: str) -> str:
    """``body`` in a loop run twice (the pass takes compares in loops only)."""
    return f"(loop {body} (br_if 0 (i32.lt_u (local.tee 5 (i32.add (local.get 5) (i32.const 1))) (i32.const 2))))"


# The loaded value also returned, shifted, compared unsigned: each spoils its web
ESCAPING = [module(twice("(local.set 1 (i32.load (local.get 0))) (local.set 4 (i32.lt_s (local.get 1) (i32.const 5)))"),
                   "(local.get 1)"),
            module(twice("(local.set 1 (i32.load (local.get 0))) (local.set 4 (i32.lt_s (local.get 1) (i32.const 5)))"),
                   "(i32.add (local.get 4) (i32.shr_u (local.get 1) (i32.const 1)))"),
            module(twice("(local.set 1 (i32.load (local.get 0))) (local.set 4 (i32.lt_s (local.get 1) (i32.const 5)))"),
                   "(i32.add (local.get 4) (i32.lt_u (local.get 1) (i32.const 9)))"),
            module(twice("(local.set 1 (i32.load (local.get 0))) (local.set 2 (i32.load (i32.const 4)))"
                         "(local.set 4 (i32.lt_s (local.get 1) (i32.const 5)))"),
                   "(i32.add (local.get 4) (i32.eq (local.get 2) (local.get 0)))")]


@pytest.mark.parametrize("k", range(len(ESCAPING)))
def test_a_signed_read_elsewhere_keeps_the_word_unsigned(k: int) -> None:
    src = outcomes(ESCAPING[k], [[0], [20], [24], [1], [65535]])
    if k < 3:
        assert "Vi[" not in src and "(l1 ^ 0x80000000) < (5 ^ 0x80000000)" in src
    else:  # (the other web: l1 signed, l2 unsigned)
        assert "l1 < 5" in src and "l2 = VI[1]" in src and "l2 == l0" in src


def test_a_word_returned_by_a_branch_stays_unsigned() -> None:
    wat = module("""(loop
      (local.set 1 (i32.load (local.get 0)))
      (local.set 2 (i32.load offset=4 (local.get 0)))
      (drop (br_if 1 (select (local.get 1) (local.get 2) (i32.lt_s (local.get 1) (local.get 2))) (local.get 0)))
      (br_if 0 (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 4))) (i32.const 64))))""", "(i32.const 77)")
    src = outcomes(wat, [[0], [12], [16], [20], [24], [40], [2]])
    assert "^ 0x80000000" in src


def test_an_argument_compared_with_a_word_stays_unsigned() -> None:
    wat = module(twice("(local.set 2 (select (i32.load (local.get 0)) (local.get 1) (i32.and (local.get 0) (i32.const 4))))"
                       "(local.set 4 (i32.lt_s (local.get 2) (i32.const 3)))"), params="(param i32 i32)")
    src = outcomes(wat, [[0, 0], [20, 0x80000000], [24, 0xFFFFFFFF], [28, 5], [36, 0x7FFFFFFF], [1, 9]])
    assert "Vi[" not in src


VALUE_CODE = [  # {x}, {y}: value registers (1, 2); 3: the pointer; 4: an accumulator; {o}: offset; {k}: constant
    "(local.set {x} (i32.load offset={o} (local.get 3)))",
    "(local.set {x} (i32.load (i32.add (local.get 3) (i32.const {k}))))",
    "(local.set {x} (local.get {y}))",
    "(local.set {x} (select (local.get {x}) (local.get {y}) (i32.lt_s (local.get {x}) (local.get {y}))))",
    "(if (i32.gt_s (local.get {x}) (local.get {y})) (then (i32.store offset={o} (local.get 3) (local.get {x}))"
    " (i32.store (i32.add (local.get 3) (i32.const 4)) (local.get {y}))))",
    "(local.set 4 (i32.add (local.get 4) (i32.ge_s (local.get {x}) (i32.const {k}))))",
    "(local.set 4 (i32.add (local.get 4) (i32.le_s (i32.const {k}) (local.get {x}))))",
    "(local.set 4 (i32.add (local.get 4) (i32.eq (local.get {x}) (local.get {y}))))",
    "(local.set 4 (i32.add (local.get 4) (i32.ne (local.get {x}) (i32.const {k}))))",
    "(local.set 4 (i32.add (i32.mul (local.get 4) (i32.const 31)) (local.get {x})))",
    "(local.set 4 (i32.xor (local.get 4) (i32.and (local.get {x}) (i32.const {k}))))",
    "(local.set 4 (i32.xor (local.get 4) (i32.shr_u (local.get {x}) (i32.const 3))))",
    "(local.set 4 (i32.add (local.get 4) (i32.lt_u (local.get {x}) (local.get {y}))))",
    "(local.set 4 (i32.add (local.get 4) (i32.eqz (local.get {x}))))",
    "(i32.store8 offset={o} (local.get 3) (local.get {x}))",
    "(i32.store16 offset={o} (local.get 3) (local.get {x}))",
    "(i32.store offset={o} (local.get 3) (local.get {x}))",
    "(local.set {x} (i32.const {k}))",
    "(local.set {x} (i32.add (local.get {x}) (i32.const 1)))",
    "(local.set {x} (i32.load16_s offset={o} (local.get 3)))",
    "(br_if 1 (i32.le_s (local.get {x}) (local.get {y})))",
    "(if (local.get {x}) (then (local.set 4 (i32.add (local.get 4) (i32.const 7)))))",
    "(if (i32.eq (local.get 5) (i32.const 3)) (then (return (local.get {x}))))",
    "(local.set 4 (i32.add (local.get 4) (i32.lt_s (i32.load offset={o} (local.get 3)) (i32.load (local.get {y})))))",
    "(local.set {x} (if (result i32) (local.get 5) (then (i32.load (local.get 3))) (else (i32.const {k}))))",
]

RESULTS = ["(local.get 4)", "(local.get 1)", "(i32.lt_s (i32.load (local.get 3)) (local.get 2))",
           "(i32.load (local.get 3))", "(i32.add (local.get 4) (local.get 2))"]


def random_values(rng: random.Random) -> str:
    """A loop over a pointer stepped by a word (``VALUE_CODE`` at random): loads,
    copies and selects of values compared signed and stored, against constants at the
    edges, and reads that need the unsigned value (returned, shifted, compared
    unsigned, as an address) or only a congruent one."""
    body = []
    for _ in range(rng.randint(3, 10)):
        x, y = rng.sample(["1", "2"], 2)
        body.append(rng.choice(VALUE_CODE).format(
            x=x, y=y, o=rng.choice([0, 4, 8, 2]), k=rng.choice([0, 5, -1, -50000, 0x7FFFFFFF, -0x80000000, 8])))
    return module(f"""
    (local.set 3 (local.get 0))
    (local.set 5 (i32.const 6))
    (block (loop
      {" ".join(body)}
      (local.set 3 (i32.add (local.get 3) (i32.const 4)))
      (br_if 0 (local.tee 5 (i32.sub (local.get 5) (i32.const 1))))))""", rng.choice(RESULTS))


def test_random_signed_values_agree_with_tier0() -> None:
    """Random value code agrees with tier 0 (results, traps, memory), and a good share
    of it holds signed words."""
    rng = random.Random(11)
    signed = 0
    for _ in range(200):
        src = outcomes(random_values(rng), [[0], [8], [3], [200], [65520], [0xFFFFFFF8]])
        signed += "Vi[" in src
    assert signed >= 40
