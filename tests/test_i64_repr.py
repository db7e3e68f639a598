"""i64 values in either run-time representation (``numeric.I64_SIGNED``): unsigned
ints on CPython, signed machine words on PyPy. Every i64 instruction on edge
values in both tiers against a reference written here, with the operand a
parameter or a constant; the edges where values cross into or out of the
engine (API, host functions, globals, memory, SIMD lanes, WASI); and the other
representation's run of these tests and of test_numeric, in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Callable, Dict, List

import pytest

import wasmlite
from conftest import REPO
from wasmlite import numeric, syntax
from wasmlite.engine import cache, interp
from wasmlite.runtime.objects import MemoryInstance
from wasmlite.wasi import MemoryFS, Wasi, WasiConfig
from wasmlite.wasi.constants import RIGHTS_ALL

M64 = (1 << 64) - 1
M32 = 0xFFFFFFFF
EDGES = [0, 1, 2, 63, 64, 0xFF, 0x80, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000,
         0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0x8000000000000001, 0xFFFFFFFFFFFFFFFF,
         0xFFFFFFFFFFFFFFFE, 0xFFFFFFFF80000000, 0x0123456789ABCDEF, 0xFEDCBA9876543210]


def signed(a: int) -> int:
    return a - (1 << 64) if a >> 63 else a


def signed32(a: int) -> int:
    return a - (1 << 32) if a >> 31 else a


def _div_s(a: int, b: int) -> int:
    q = abs(signed(a)) // abs(signed(b))
    return (-q if (signed(a) < 0) != (signed(b) < 0) else q) & M64


def _rem_s(a: int, b: int) -> int:
    r = abs(signed(a)) % abs(signed(b))
    return (-r if signed(a) < 0 else r) & M64


def _rotl(a: int, k: int) -> int:
    k &= 63
    return ((a << k) | (a >> (64 - k))) & M64


BINARY: Dict[str, Callable[[int, int], int]] = {
    "add": lambda a, b: (a + b) & M64, "sub": lambda a, b: (a - b) & M64, "mul": lambda a, b: (a * b) & M64,
    "div_u": lambda a, b: a // b, "rem_u": lambda a, b: a % b, "div_s": _div_s, "rem_s": _rem_s,
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
    "shl": lambda a, b: (a << (b & 63)) & M64, "shr_u": lambda a, b: a >> (b & 63),
    "shr_s": lambda a, b: (signed(a) >> (b & 63)) & M64,
    "rotl": _rotl, "rotr": lambda a, b: _rotl(a, -b),
}  # fmt: skip
"""i64 binary operation -> its result on unsigned operands (traps aside)."""
COMPARES: Dict[str, Callable[[int, int], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "lt_u": lambda a, b: a < b, "gt_u": lambda a, b: a > b, "le_u": lambda a, b: a <= b, "ge_u": lambda a, b: a >= b,
    "lt_s": lambda a, b: signed(a) < signed(b), "gt_s": lambda a, b: signed(a) > signed(b),
    "le_s": lambda a, b: signed(a) <= signed(b), "ge_s": lambda a, b: signed(a) >= signed(b),
}  # fmt: skip
UNARY: Dict[str, Callable[[int], int]] = {
    "i64.clz": lambda a: 64 - a.bit_length(), "i64.ctz": lambda a: (a & -a).bit_length() - 1 if a else 64,
    "i64.popcnt": lambda a: bin(a).count("1"), "i64.eqz": lambda a: int(a == 0),
    "i64.extend8_s": lambda a: (((a & 0xFF) ^ 0x80) - 0x80) & M64,
    "i64.extend16_s": lambda a: (((a & 0xFFFF) ^ 0x8000) - 0x8000) & M64,
    "i64.extend32_s": lambda a: (((a & M32) ^ 0x80000000) - 0x80000000) & M64,
    "i32.wrap_i64": lambda a: a & M32,
}  # fmt: skip
I32_RESULTS = ("i64.eqz", "i32.wrap_i64")


@pytest.fixture(autouse=True)
def no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    cache.clear_memory()


def run_tiers(monkeypatch: pytest.MonkeyPatch, wat: str, calls: Callable[[Any], List[Any]],
              imports: Callable[[wasmlite.Linker], None] = lambda linker: None) -> List[Any]:
    """``calls(exports)`` in tier 0 and in tier 1 (the results must agree)."""
    out = []
    for tier in ("0", "1"):
        monkeypatch.setattr(interp, "TIER", tier)
        cache.clear_memory()
        linker = wasmlite.Linker()
        imports(linker)
        out.append(calls(linker.instantiate(wasmlite.Store(), wasmlite.Module(wat)).exports))
    assert out[0] == out[1]
    return out[0]


def _outcome(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        r = fn(*args)
    except wasmlite.Trap as e:
        return ("trap", str(e).splitlines()[0])
    return r & M64 if isinstance(r, int) else r


@pytest.mark.parametrize("op", sorted(BINARY) + sorted(COMPARES))
def test_binary_ops_on_edges(op: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each operand a parameter or an edge constant (tier 1 renders constant shift
    and rotate counts inline, and knows constants' bounds)."""
    result = "i32" if op in COMPARES else "i64"
    funcs = [f'(func (export "pp") (param i64 i64) (result {result}) (i64.{op} (local.get 0) (local.get 1)))']
    for k, c in enumerate(EDGES):
        funcs.append(f'(func (export "pc{k}") (param i64) (result {result}) (i64.{op} (local.get 0) (i64.const {c})))')
        funcs.append(f'(func (export "cp{k}") (param i64) (result {result}) (i64.{op} (i64.const {c}) (local.get 0)))')
    wat = "(module " + "\n".join(funcs) + ")"

    def calls(ex: Any) -> List[Any]:
        out = [_outcome(ex.pp, a, b) for a in EDGES for b in EDGES]
        for k, c in enumerate(EDGES):
            out += [_outcome(ex[f"pc{k}"], a) for a in EDGES] + [_outcome(ex[f"cp{k}"], a) for a in EDGES]
        return out

    got = run_tiers(monkeypatch, wat, calls)
    pairs = [(a, b) for a in EDGES for b in EDGES]
    for c in EDGES:
        pairs += [(a, c) for a in EDGES] + [(c, a) for a in EDGES]
    for (a, b), r in zip(pairs, got):
        if op in COMPARES:
            assert r == int(COMPARES[op](a, b)), (op, hex(a), hex(b))
        elif op.startswith(("div", "rem")) and b == 0:
            assert r == ("trap", "integer divide by zero"), (op, hex(a))
        elif op == "div_s" and a == 1 << 63 and b == M64:
            assert r == ("trap", "integer overflow")
        else:
            assert r == BINARY[op](a, b), (op, hex(a), hex(b), r)


def test_unary_ops_and_conversions_on_edges(monkeypatch: pytest.MonkeyPatch) -> None:
    funcs = [f'(func (export "{op}") (param i64) (result {"i32" if op in I32_RESULTS else "i64"}) ({op} (local.get 0)))'
             for op in UNARY]
    funcs += [f'(func (export "{op}") (param i64) (result f64) ({op} (local.get 0)))'
              for op in ("f64.convert_i64_s", "f64.convert_i64_u", "f64.reinterpret_i64")]
    funcs += ['(func (export "bits") (param f64) (result i64) (i64.reinterpret_f64 (local.get 0)))',
              '(func (export "ext_s") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))',
              '(func (export "ext_u") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))',
              '(func (export "trunc_u") (param f64) (result i64) (i64.trunc_sat_f64_u (local.get 0)))',
              '(func (export "trunc_s") (param f64) (result i64) (i64.trunc_f64_s (local.get 0)))']
    wat = "(module " + "\n".join(funcs) + ")"
    floats = [0.0, -1.0, 1.5e19, -9.2e18, 9.2e18, 18446744073709549568.0]

    def calls(ex: Any) -> List[Any]:
        out = [[ex[op](a) & (M32 if op in I32_RESULTS else M64) for a in EDGES] for op in UNARY]
        out.append([ex["f64.convert_i64_s"](a) for a in EDGES])
        out.append([ex["f64.convert_i64_u"](a) for a in EDGES])
        out.append([ex["bits"](ex["f64.reinterpret_i64"](a)) & M64 for a in EDGES])
        out.append([ex.ext_s(a & M32) & M64 for a in EDGES] + [ex.ext_u(a & M32) for a in EDGES])
        out.append([ex.trunc_u(x) & M64 for x in floats] + [_outcome(ex.trunc_s, x) for x in floats])
        return out

    got = run_tiers(monkeypatch, wat, calls)
    for op, results in zip(UNARY, got):
        assert results == [UNARY[op](a) for a in EDGES], op
    assert got[len(UNARY)] == [float(signed(a)) for a in EDGES]
    assert got[len(UNARY) + 1] == [float(a) for a in EDGES]
    assert got[len(UNARY) + 2] == EDGES
    assert got[len(UNARY) + 3] == [UNARY["i64.extend32_s"](a) for a in EDGES] + [a & M32 for a in EDGES]
    assert got[len(UNARY) + 4] == [0, 0, 15000000000000000000, 0, 9200000000000000000, 18446744073709549568,
                                   0, M64, ("trap", "integer overflow"), (-9200000000000000000) & M64,
                                   9200000000000000000, ("trap", "integer overflow")]


def narrow(u: int) -> tuple:  # type: ignore[type-arg]
    """What i64.load8_s, 8_u, 16_s, 16_u, 32_s, 32_u read from the u64 ``u``'s bytes."""
    out = []
    for bits in (8, 16, 32):
        v = u & ((1 << bits) - 1)
        out += [v - (1 << bits) if v >> (bits - 1) else v, v]
    return tuple(out)


def test_values_crossing_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """API arguments and results, a host function's, globals (initialised by a
    constant, set and read by wasm and by Python), memory at every width and the
    SIMD lanes fed by i64 loads, on values with the top bit set."""
    wat = """(module
      (import "env" "twice" (func $twice (param i64) (result i64)))
      (memory (export "mem") 1)
      (global $g (export "g") (mut i64) (i64.const -2))
      (func (export "host") (param i64) (result i64) (call $twice (local.get 0)))
      (func (export "swap") (param i64) (result i64) (global.get $g) (global.set $g (local.get 0)))
      (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
      (func (export "load") (param i32) (result i64) (i64.load (local.get 0)))
      (func (export "narrow") (param i32) (result i64 i64 i64 i64 i64 i64)
        (i64.load8_s (local.get 0)) (i64.load8_u (local.get 0)) (i64.load16_s (local.get 0))
        (i64.load16_u (local.get 0)) (i64.load32_s (local.get 0)) (i64.load32_u (local.get 0)))
      (func (export "store32") (param i32 i64) (i64.store32 (local.get 0) (local.get 1)))
      (func (export "lanes") (param i32 i64) (result i64 i64 i64 i32 i32)
        (i64x2.extract_lane 1 (v128.load64_splat (local.get 0)))
        (i64x2.extract_lane 0 (i64x2.replace_lane 0 (v128.const i64x2 0 0) (local.get 1)))
        (i64x2.extract_lane 0 (v128.load32x2_s (local.get 0)))
        (i32x4.extract_lane 1 (v128.load64_zero (local.get 0)))
        (i32x4.extract_lane 2 (v128.load64_zero (local.get 0))))
      (func (export "store_lane") (param i32 v128) (v128.store64_lane 1 (local.get 0) (local.get 1))))"""

    def imports(linker: wasmlite.Linker) -> None:
        linker.define_func("env", "twice", wasmlite.FuncType(["i64"], ["i64"]), lambda x: x * 2 % (1 << 64))

    def calls(ex: Any) -> List[Any]:
        out = [ex.host(-3), ex.host(1 << 62), ex.host(0xFFFFFFFFFFFFFFFF)]
        out += [ex.g.value, ex.swap(0x8000000000000000), ex.swap(5), ex.g.value]
        ex.g.value = 0xFFFFFFFFFFFFFFFF
        out += [ex.g.value]
        ex.store(8, -0x123456789)
        out += [ex.load(8), bytes(ex.mem.read(8, 8)).hex(), ex.narrow(8)]
        ex.store32(0, 0xFFFFFFFF80000001)
        out += [ex.narrow(0), ex.lanes(8, -7), ex.lanes(0, 1 << 63)]
        ex.store_lane(16, (0xFEDCBA9876543210 << 64) | 1)
        out += [ex.load(16)]
        return out

    got = run_tiers(monkeypatch, wat, calls, imports)
    m = -0x123456789 & M64  # at 8
    low = 0xFFFFFFFF80000001  # stored as 32 bits at 0: zero above them
    assert got == [
        -6, -(1 << 63), -2,
        -2, -2, -(1 << 63), 5, -1,
        signed(m), m.to_bytes(8, "little").hex(), narrow(m),
        narrow(low & M32),
        (signed(m), -7, narrow(m)[4], signed32(m >> 32), 0),
        (low & M32, -(1 << 63), narrow(low)[4], 0, 0),
        0xFEDCBA9876543210 - (1 << 64),
    ]


def test_wasi_takes_i64_arguments_unsigned() -> None:
    """preview1 reads an i64 argument unsigned (fd_seek's offset is then signed)."""
    wasi = Wasi(WasiConfig(preopens=[("/", MemoryFS({"f": b"0123456789"}))]))
    mem = MemoryInstance(syntax.MemoryType(syntax.Limits(1)))
    wasi.bind_memory(mem)
    fn = {name: f.callable for name, f in wasi.imports().items()}
    mem.data[100:101] = b"f"
    assert fn["path_open"](3, 0, 100, 1, 0, RIGHTS_ALL, RIGHTS_ALL, 0, 200) == 0
    fd = int.from_bytes(mem.data[200:204], "little")
    assert fn["fd_seek"](fd, numeric.i64_of(-3), 2, 300) == 0  # 3 bytes before the end
    assert int.from_bytes(mem.data[300:308], "little") == 7


@pytest.mark.skipif("WASMLITE_I64" in os.environ, reason="the representation is chosen by the environment")
def test_the_other_representation() -> None:
    """These tests, test_numeric's (every scalar template against wasmtime) and tier
    1's delayed-masking ones, with i64 represented the other way round."""
    env = dict(os.environ, WASMLITE_I64="unsigned" if numeric.I64_SIGNED else "signed",
               PYTHONPATH=os.pathsep.join([os.path.join(REPO, "src"), os.environ.get("PYTHONPATH", "")]))
    tests = ["tests/test_i64_repr.py", "tests/test_numeric.py",
             "tests/test_codegen.py::test_delayed_masking_agrees_with_tier0", "tests/test_codegen.py::test_ranges_render_is_exact"]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                          cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
