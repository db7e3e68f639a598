"""Tier 1's addresses held as view indexes (``codegen._scaled_webs``): a pointer
stepped through an array of 4- or 8-byte items is kept as ``p >> k``, so its accesses
index the view without shifting; every write and read must still mean the wasm value."""

from __future__ import annotations

import random
import re
from typing import Any, List, Tuple

import pytest

from conftest import to_tier1
from test_codegen import load
from wasmlite import engine
from wasmlite.engine import cache, interp
from wasmlite.engine.memory_ops import VIEW_ACCESSES
from wasmlite.errors import Trap

pytestmark = pytest.mark.skipif(not VIEW_ACCESSES, reason="no memory views here (PyPy, big-endian)")


@pytest.fixture(autouse=True)
def no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    monkeypatch.setattr(interp, "TIER", "0")
    cache.clear_memory()


def outcomes(wat: str, argsets: List[List[Any]]) -> str:
    """Tier 1's source, after checking that each call returns (or traps) as in tier 0
    and leaves the same memory."""
    runs: List[Tuple[List[Any], bytes]] = []
    for tier in (0, 1):
        inst = load(wat)
        if tier:
            to_tier1(inst)
        got: List[Any] = []
        for args in argsets:
            try:
                got.append(engine.call(inst.exports["f"], list(args)))
            except Trap as t:
                got.append(str(t))
        runs.append((got, bytes(inst.mems[0].data)))
    assert runs[0] == runs[1]
    return inst.exports["f"].compiled.gen.source  # type: ignore[no-any-return]


# nbody's shape: a row pointer stepped by a struct's size, a second pointer copied from
# a sum of it, accesses at offsets and through ``p - c``.
ROWS = """(module (memory 1)
  (func (export "f") (param i32) (result f64) (local i32 i32 i32 f64)
    (local.set 1 (i32.const 1024))
    (local.set 3 (local.get 0))
    (block (loop
      (br_if 1 (i32.eqz (local.get 3)))
      (local.set 2 (i32.add (local.get 1) (i32.const 56)))
      (f64.store offset=8 (local.get 1) (f64.add (f64.load (local.get 1)) (f64.const 1.5)))
      (local.set 4 (f64.add (local.get 4) (f64.load (i32.sub (local.get 2) (i32.const 8)))))
      (local.set 4 (f64.add (local.get 4) (f64.load offset=16 (local.get 2))))
      (local.set 1 (local.get 2))
      (local.set 3 (i32.sub (local.get 3) (i32.const 1)))
      (br 0)))
    (local.get 4)))"""


def test_row_pointers_index_the_view() -> None:
    src = outcomes(ROWS, [[0], [7], [100]])
    # (the copy ``l1 = l2`` is coalesced: the sum goes into l1 after the store reads it)
    assert "Vd[i1 + 1] = " in src and "Vd[(i1 - 1)]" in src and "Vd[i1 + 2]" in src
    assert ">> 3" not in src  # no address shifted back


# Writes that wrap: ``x << 3`` and ``x * 24`` past 2**32, a step wrapping round to the
# start of memory; the index is the wasm address over 8 (or the same trap).
WRAPS = """(module (memory 1)
  (func (export "f") (param i32) (result i64) (local i32 i64 i32)
    (i64.store (i32.const 40) (i64.const 7))
    (i64.store (i32.const 48) (i64.const 11))
    (loop
      (local.set 1 (i32.shl (local.get 0) (i32.const 3)))
      (local.set 2 (i64.add (local.get 2) (i64.load (local.get 1))))
      (local.set 1 (i32.mul (local.get 0) (i32.const 24)))
      (local.set 2 (i64.add (local.get 2) (i64.load offset=8 (local.get 1))))
      (local.set 1 (i32.add (local.get 1) (i32.const -16)))
      (local.set 2 (i64.add (local.get 2) (i64.load (local.get 1))))
      (br_if 0 (i32.lt_u (local.tee 3 (i32.add (local.get 3) (i32.const 1))) (i32.const 2))))
    (local.get 2)))"""


def test_wrapping_writes_keep_the_address() -> None:
    # 2**29 + 5: << 3 is 40; * 24 is 120 (mod 2**32); then 104
    # 0x0AAAAAAC: * 24 wraps to 0x20 = 32 (mod 2**32), + 8 = 40, - 16 = 16
    src = outcomes(WRAPS, [[5], [(1 << 29) + 5], [0x0AAAAAAC], [1 << 30], [(1 << 32) - 1], [6000]])
    assert "i1 = " in src


# sort's shape: ``a[i]`` as ``(i << 2) + a``, then stepped down and up through
# addresses whose wrap no interval decides (``i`` is a parameter).
SHIFTED = """(module (memory 1)
  (func (export "f") (param i32 i32) (result i32) (local i32 i32)
    (i32.store (i32.const 8) (i32.const 5))
    (local.set 2 (i32.add (i32.shl (local.get 0) (i32.const 2)) (i32.const 16)))
    (loop
      (local.set 3 (i32.add (local.get 3) (i32.load (local.get 2))))
      (i32.store offset=4 (local.get 2) (local.get 3))
      (local.set 2 (i32.sub (local.get 2) (i32.const 4)))
      (br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 1)))))
    (i32.add (local.get 3) (i32.load (i32.add (local.get 2) (i32.const 8))))))"""


def test_shifted_indexes_and_steps_that_may_wrap() -> None:
    # (2**30 - 1) << 2 wraps: + 16 is 12; stepping down from 4 wraps to 2**32 - 4
    src = outcomes(SHIFTED, [[0, 1], [1, 3], [(1 << 30) - 1, 3], [(1 << 30) - 2, 2], [100, 5], [16383, 2]])
    assert "i2 = ((l0 + 4) & 1073741823)" in src and "i2 = ((i2 - 1) & 1073741823)" in src
    assert ">> 2" not in src


# One local, two purposes: a pointer first, a counter (read by a compare) after.
REUSED = """(module (memory 1)
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (local.set 1 (i32.const 64))
    (loop
      (local.set 2 (i32.add (local.get 2) (i32.load (local.get 1))))
      (i32.store offset=4 (local.get 1) (local.get 2))
      (br_if 0 (local.tee 1 (i32.sub (local.get 1) (i32.const 8)))))
    (local.set 1 (local.get 0))
    (loop
      (local.set 2 (i32.add (local.get 2) (local.get 1)))
      (br_if 0 (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (i32.const 10))))
    (local.get 2)))"""


def test_a_reused_local_is_an_index_only_where_it_points() -> None:
    src = outcomes(REUSED, [[0], [3], [20]])
    assert "VI[i1])" in src and "VI[i1 + 1] = " in src and "if i1:" in src  # (a truth test on the index)
    assert "l1 = l0" in src and "l1 + 1 if" in src  # the counter as it was


# The pointer is also returned, compared and passed to a call: every read would need
# the shift back, so it stays an address.
ESCAPES = """(module (memory 1)
  (func $id (param i32) (result i32) (local.get 0))
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (local.set 1 (i32.const 256))
    (loop
      (local.set 2 (i32.add (local.get 2) (i32.load (local.get 1))))
      (i32.store (local.get 1) (call $id (local.get 1)))
      (br_if 0 (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 4))) (local.get 0))))
    (i32.add (local.get 2) (local.get 1))))"""


def test_a_pointer_read_otherwise_stays_an_address() -> None:
    src = outcomes(ESCAPES, [[0], [300], [400]])
    assert not re.search(r"\bi1\b", src)


POINTER_CODE = [  # {p}, {q}: the two pointers; {c}: a step, {o}: an offset, {k}: a constant
    "(local.set 4 (i64.add (local.get 4) (i64.load offset={o} (local.get {p}))))",
    "(local.set 4 (i64.add (local.get 4) (i64.load offset={o} (local.get {q}))))",
    "(local.set 4 (i64.add (local.get 4) (i64.trunc_sat_f64_s (f64.load offset={o} (local.get {p})))))",
    "(local.set 4 (i64.add (local.get 4) (i64.extend_i32_u (i32.load offset={o} (local.get {p})))))",
    "(local.set 4 (i64.add (local.get 4) (i64.load32_u offset={o} (local.get {p}))))",
    "(local.set 4 (i64.add (local.get 4) (i64.load (i32.add (local.get {p}) (i32.const {c})))))",
    "(i64.store offset={o} (local.get {p}) (local.get 4))",
    "(local.set {q} (i32.add (local.get {p}) (i32.const {c})))",
    "(local.set {q} (i32.add (local.get {p}) (i32.const {c})))",
    "(local.set {q} (i32.sub (local.get {p}) (i32.const {c})))",
    "(local.set {q} (i32.add (local.get 1) (local.get 2)))",
    "(local.set {p} (i32.shl (local.get 0) (i32.const {s})))",
    "(local.set {p} (i32.mul (local.get 3) (i32.const {m})))",
    "(local.set {p} (i32.add (i32.shl (local.get 0) (i32.const {s})) (i32.const {c})))",
    "(local.set {q} (local.get {p}))",
    "(local.set 4 (i64.add (local.get 4) (i64.extend_i32_u (local.get {p}))))",  # (the address itself)
    "(local.set {p} (block (result i32) (drop (br_if 0 (local.get {q}) (local.get 3))) (i32.const {k})))",
    "(if (local.get {p}) (then (local.set 4 (i64.add (local.get 4) (i64.const 1)))))",
    "(local.set {p} (i32.const {k}))",
]


def random_pointers(rng: random.Random) -> str:
    """A loop over two pointers (``POINTER_CODE`` at random): steps, sums,
    differences, copies, scaled params, accesses at offsets (some unaligned, some of
    other sizes), sometimes a read that needs the address itself or a value carried
    by a branch."""
    body = []
    for _ in range(rng.randint(3, 9)):
        p, q = rng.sample(["1", "2"], 2)
        body.append(rng.choice(POINTER_CODE).format(
            p=p, q=q, c=rng.choice([8, 16, 24, 64, -8, -16, -32, 4, 0, 1 << 31, -(1 << 20)]),
            o=rng.choice([0, 8, 16, 40, 4]), s=rng.choice([3, 4, 29]), m=rng.choice([8, 24, 56, -8]),
            k=rng.choice([0, 16, 1000, 4096, -8, 512])))
    step = rng.choice([8, 16, -8, 24])
    return f"""(module (memory 1)
  (func (export "f") (param i32) (result i64) (local i32 i32 i32 i64)
    (local.set 1 (i32.const {rng.choice([0, 64, 2048, 8])}))
    (local.set 2 (i32.const {rng.choice([0, 512, 24])}))
    (local.set 3 (i32.and (local.get 0) (i32.const 15)))
    (block (loop
      (br_if 1 (i32.eqz (local.get 3)))
      {" ".join(body)}
      (local.set 1 (i32.add (local.get 1) (i32.const {step})))
      (local.set 3 (i32.sub (local.get 3) (i32.const 1)))
      (br 0)))
    (local.get 4)))"""


def test_random_pointer_loops() -> None:
    """Random pointer code agrees with tier 0 (results and traps), and a good share of
    it holds indexes."""
    rng = random.Random(7)
    scaled = 0
    for _ in range(150):
        src = outcomes(random_pointers(rng), [[0], [3], [9], [(1 << 29) + 6], [15]])
        scaled += bool(re.search(r"\bi[12] = ", src))
    assert scaled >= 30


# ``a[i - 4]`` and ``a[i - 2]`` on a shifted counter: sums that always wrap (``+ -16``)
# and differences index the view without the shift back (``ranges.scaled``).
BEHIND = """(module (memory 1)
  (func (export "f") (param i32) (result i32) (local i32 i32)
    (local.set 1 (i32.const 4))
    (loop
      (local.set 2 (i32.add (local.get 2) (i32.load (i32.add (i32.shl (local.get 1) (i32.const 2)) (i32.const -16)))))
      (local.set 2 (i32.add (local.get 2) (i32.load (i32.sub (i32.shl (local.get 1) (i32.const 2)) (i32.const 8)))))
      (i32.store (i32.shl (local.get 1) (i32.const 2)) (local.get 0))
      (br_if 0 (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (i32.const 100))))
    (local.get 2)))"""


def test_shifted_counters_index_behind_them() -> None:
    src = outcomes(BEHIND, [[0], [7]])
    assert "VI[(l1 - 4)]" in src and "VI[(l1 - 2)]" in src and ">> 2" not in src
