"""Tests of SIMD execution (``numeric.simd`` and the translator's lowering of the v128
memory instructions): the table covers every v128 instruction, and every one agrees
with wasmtime lane for lane on edge and random vectors, in both tiers.

Each instruction runs in a wasm loop over cases laid out in memory (operands in
48-byte slots, results after them), so wasmtime (whose Python API has no v128
values) and both wasmlite tiers run exactly the same module.
"""

from __future__ import annotations

import random
import struct
from typing import Any, Dict, List, Tuple

import pytest

from conftest import to_tier1
from wasmlite import engine
from wasmlite.engine import cache, interp
from wasmlite.numeric import NUMERIC, SIMD, Template
from wasmlite.opcodes import PREFIX_FD, all_ops
from wasmlite.runtime import ModuleInstance
from wasmlite.runtime.instantiate import instantiate
from wasmlite.syntax import F32, F64, I32, I64, V128
from wasmlite.text import parse_module
from wasmlite.translate import _LOWERED
from wasmlite.validate import validate_module

FD_OPS = {op.name: op for op in all_ops() if op.prefix == PREFIX_FD}


@pytest.fixture(autouse=True)
def no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    monkeypatch.setattr(interp, "TIER", "0")
    cache.clear_memory()


def test_every_v128_instruction_is_covered() -> None:
    direct = {"v128.load", "v128.store", "v128.const"}
    assert set(FD_OPS) == set(SIMD) | set(_LOWERED) | direct
    assert not set(SIMD) & set(_LOWERED)
    assert len(FD_OPS) == 236
    for name, t in SIMD.items():
        assert NUMERIC[name] is t and isinstance(t, Template)
        assert t.arity == len(FD_OPS[name].params), name
        assert bool(t.fields) == (FD_OPS[name].imm in ("lane", "shuffle")), name


# -- cases ---------------------------------------------------------------------------------

F32_EDGES = [0, 0x80000000, 1, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000,
             0xFF800000, 0x7FC00000, 0xFFC00000, 0x7FA00000, 0x7F800001, 0xFFC00001, 0x3F800000,
             0xBF800000, 0x3F000000, 0x3FC00000, 0xC0200000, 0x4B000000, 0x4AFFFFFF, 0x4EFFFFFF,
             0x4F000000, 0xCF000000, 0xCF000001, 0x4F800000, 0x5F000000, 0x3EFFFFFF, 0x7F7FFFFE]
F64_EDGES = [0, 1 << 63, 1, 0x000FFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF, 0x7FF0000000000000,
             0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000, 0x7FF4000000000000,
             0x7FF0000000000001, 0x3FF0000000000000, 0xBFE0000000000000, 0x3FF8000000000000,
             0x41DFFFFFFFC00000, 0x41E0000000000000, 0xC1E0000000200000, 0x41EFFFFFFFE00000,
             0x41F0000000000000, 0x47EFFFFFE0000000, 0x47EFFFFFF0000000, 0x36A0000000000000,
             0x3690000000000001, 0x4330000000000000, 0x432FFFFFFFFFFFFF, 0x7FF8000000000001]
INT_EDGES = {8: [0, 1, 2, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x40, 0x3F],
             16: [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x4000, 0xC000],
             32: [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 0x10000, 0x8000, 0xFFFF8000, 0x7F],
             64: [0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, 0xFFFFFFFF, 1 << 32, 0x80000000]}
SHAPE_BITS = {"i8x16": 8, "i16x8": 16, "i32x4": 32, "i64x2": 64, "f32x4": 32, "f64x2": 64}
LANE_EDGES = {"i8x16": INT_EDGES[8], "i16x8": INT_EDGES[16], "i32x4": INT_EDGES[32],
              "i64x2": INT_EDGES[64], "f32x4": F32_EDGES, "f64x2": F64_EDGES}
SCALAR_EDGES = {I32: INT_EDGES[32] + [0x1F, 0x20, 0x21, 7, 8, 15, 16, 63, 64, 65],
                I64: INT_EDGES[64], F32: F32_EDGES, F64: F64_EDGES}


def _vector(rnd: random.Random, shapes: List[str]) -> int:
    """A random v128: lanes of edge values of one of ``shapes``, or random bits."""
    r = rnd.random()
    if r < 0.2:
        return rnd.getrandbits(128)
    shape = rnd.choice(shapes)
    bits = SHAPE_BITS[shape]
    edges = LANE_EDGES[shape]
    v = 0
    for i in range(128 // bits):
        lane = rnd.choice(edges) if rnd.random() < 0.8 else rnd.getrandbits(bits)
        v |= lane << (i * bits)
    return v


def _shapes_of(name: str) -> List[str]:
    """The lane shapes whose edge values matter for ``name``'s operands."""
    shapes = [s for s in SHAPE_BITS if s in name]
    return shapes or list(SHAPE_BITS)


CASES = 160


def _cases(name: str, rnd: random.Random) -> List[Tuple[int, ...]]:
    op = FD_OPS[name]
    shapes = _shapes_of(name)
    out = []
    for _ in range(CASES):
        case = []
        for t in op.params:
            if t == V128:
                case.append(_vector(rnd, shapes))
            else:
                width = 32 if t in (I32, F32) else 64
                case.append(rnd.choice(SCALAR_EDGES[t]) if rnd.random() < 0.7 else rnd.getrandbits(width))
        out.append(tuple(case))
    return out


# -- the module ---------------------------------------------------------------------------

SLOT = 48  # a case's operands: three 16-byte slots
OUT = 0x8000  # results: a 16-byte slot per case


def _immediates(name: str, rnd: random.Random) -> List[str]:
    op = FD_OPS[name]
    if op.imm == "lane":
        return [str(k) for k in sorted({0, op.lanes - 1, rnd.randrange(op.lanes)})]
    if op.imm == "shuffle":
        return [" ".join(str(rnd.randrange(32)) for _ in range(16)) for _ in range(3)]
    return [""]


def _function(export: str, name: str, imm: str) -> str:
    op = FD_OPS[name]
    operands = []
    for k, t in enumerate(op.params):
        addr = f"(i32.add (i32.mul (local.get $i) (i32.const {SLOT})) (i32.const {16 * k}))"
        load = {V128: "v128.load", I32: "i32.load", I64: "i64.load", F32: "f32.load", F64: "f64.load"}[t]
        operands.append(f"({load} {addr})")
    expr = f"({name}{' ' + imm if imm else ''} {' '.join(operands)})"
    store = {V128: "v128.store", I32: "i32.store", I64: "i64.store", F32: "f32.store", F64: "f64.store"}
    return f"""
  (func (export "{export}") (param $n i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      ({store[op.results[0]]} offset={OUT} (i32.shl (local.get $i) (i32.const 4)) {expr})
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))"""


def _module(funcs: Dict[str, Tuple[str, str]]) -> str:
    body = "".join(_function(export, name, imm) for export, (name, imm) in funcs.items())
    return f'(module (memory (export "mem") 1){body})'


def _inputs(cases: List[Tuple[int, ...]]) -> bytes:
    """The memory image: operands, then zeroed result slots (a scalar result fills
    only the low bytes of its slot)."""
    buf = bytearray(OUT + 16 * len(cases))
    for j, case in enumerate(cases):
        for k, v in enumerate(case):
            buf[SLOT * j + 16 * k:SLOT * j + 16 * k + 16] = v.to_bytes(16, "little")
    return bytes(buf)


def _results(raw: bytes, n: int) -> List[int]:
    return [int.from_bytes(raw[16 * j:16 * j + 16], "little") for j in range(n)]


# -- comparing ----------------------------------------------------------------------------

# Ops with float results where the spec lets a NaN lane be any canonical (or
# arithmetic) NaN; every other op's result is exact, bit for bit.
BIT_EXACT = ("abs", "neg", "pmin", "pmax", "splat", "replace_lane", "extract_lane")


def _float_result_shape(name: str) -> Tuple[int, int]:
    """(lane width, exponent mask) of a float-valued result, or (0, 0)."""
    op = FD_OPS[name]
    if any(word in name for word in BIT_EXACT) or op.results[0] != V128:
        return 0, 0
    shape, _, what = name.partition(".")
    if shape not in ("f32x4", "f64x2") or what in ("eq", "ne", "lt", "gt", "le", "ge"):
        return 0, 0
    return (32, 0x7F800000) if shape == "f32x4" else (64, 0x7FF0000000000000)


def _nan_lanes(v: int, bits: int) -> List[int]:
    """The NaN lanes of ``v`` read as floats of width ``bits``, as payloads with the quiet bit."""
    exp = 0x7F800000 if bits == 32 else 0x7FF0000000000000
    mant = (1 << (23 if bits == 32 else 52)) - 1
    lanes = [(v >> i) & ((1 << bits) - 1) for i in range(0, 128, bits)]
    return [x & mant for x in lanes if x & exp == exp and x & mant]


def _agree(name: str, case: Tuple[int, ...], ours: int, theirs: int) -> bool:
    """Bit equality, but where both have a NaN lane and the op leaves the NaN open, ours
    must be quiet, and canonical when every NaN lane of the inputs is (the spec's rule)."""
    if ours == theirs:
        return True
    bits, exp = _float_result_shape(name)
    if not bits:
        return False
    quiet = 1 << (22 if bits == 32 else 51)
    in_bits = {"f32x4.demote_f64x2_zero": 64, "f64x2.promote_low_f32x4": 32}.get(name, bits)
    inputs_canonical = all(p == quiet for v, t in zip(case, FD_OPS[name].params) if t == V128
                           for p in _nan_lanes(v, in_bits))
    mask = (1 << bits) - 1
    for i in range(0, 128, bits):
        a, b = (ours >> i) & mask, (theirs >> i) & mask
        if a == b:
            continue
        a_nan, b_nan = _nan_lanes(a, bits), _nan_lanes(b, bits)
        if not (a_nan and b_nan and a_nan[0] & quiet):
            return False
        if inputs_canonical and a_nan[0] != quiet:
            return False
    return True


def _load(wat: str) -> ModuleInstance:
    module = parse_module(wat)
    validate_module(module)
    return instantiate(module, [], engine.call)


def _run_wasmlite(inst: ModuleInstance, export: str, data: bytes, n: int) -> List[int]:
    mem = inst.exports["mem"].data
    mem[:len(data)] = data
    engine.call(inst.exports[export], [n])
    return _results(bytes(mem[OUT:OUT + 16 * n]), n)


def test_differential_against_wasmtime() -> None:
    wasmtime = pytest.importorskip("wasmtime")
    rnd = random.Random(4)
    funcs: Dict[str, Tuple[str, str]] = {}
    for name in sorted(SIMD):
        for k, imm in enumerate(_immediates(name, rnd)):
            funcs[f"{name}#{k}"] = (name, imm)
    wat = _module(funcs)
    store = wasmtime.Store()
    ref = wasmtime.Instance(store, wasmtime.Module(store.engine, wasmtime.wat2wasm(wat)), [])
    ref_exports = ref.exports(store)
    tier0 = _load(wat)
    tier1 = _load(wat)
    to_tier1(tier1)
    mismatches = []
    compared = 0
    for export, (name, _) in funcs.items():
        cases = _cases(name, rnd)
        data = _inputs(cases)
        ref_exports["mem"].write(store, data, 0)
        ref_exports[export](store, len(cases))
        theirs = _results(ref_exports["mem"].read(store, OUT, OUT + 16 * len(cases)), len(cases))
        for tier, inst in (("0", tier0), ("1", tier1)):
            ours = _run_wasmlite(inst, export, data, len(cases))
            for case, a, b in zip(cases, ours, theirs):
                compared += 1
                if not _agree(name, case, a, b):
                    mismatches.append((export, tier, [hex(x) for x in case], hex(a), hex(b)))
    print(f"differential: {compared} cases over {len(funcs)} functions, {len(mismatches)} mismatches")
    assert not mismatches, (sorted({m[0] for m in mismatches}), mismatches[:10])


# -- the memory instructions: lowering, bounds and traps in both tiers ---------------------------

MEMORY_WAT = """(module (memory (export "mem") 1)
  (func (export "ld8x8s") (param i32) (result v128) (v128.load8x8_s offset=3 (local.get 0)))
  (func (export "ld16x4u") (param i32) (result v128) (v128.load16x4_u (local.get 0)))
  (func (export "ld32x2s") (param i32) (result v128) (v128.load32x2_s (local.get 0)))
  (func (export "splat8") (param i32) (result v128) (v128.load8_splat (local.get 0)))
  (func (export "splat64") (param i32) (result v128) (v128.load64_splat (local.get 0)))
  (func (export "zero32") (param i32) (result v128) (v128.load32_zero (local.get 0)))
  (func (export "lane16") (param i32 v128) (result v128) (v128.load16_lane 5 (local.get 0) (local.get 1)))
  (func (export "st32lane") (param i32 v128) (v128.store32_lane offset=2 3 (local.get 0) (local.get 1)))
  (func (export "st") (param i32 v128) (v128.store (local.get 0) (local.get 1)))
  (func (export "ld") (param i32) (result v128) (v128.load (local.get 0)))
  (func (export "keep") (param i32 v128) (result v128) (local v128)
    ;; the loaded lane's temporary must not clobber a value below it
    (local.set 2 (v128.const i32x4 1 2 3 4))
    (i32x4.add (local.get 2) (v128.load8_lane 15 (local.get 0) (local.get 1)))))"""


@pytest.mark.parametrize("tier", [0, 1])
def test_memory_instructions(tier: int) -> None:
    from wasmlite.errors import Trap

    inst = _load(MEMORY_WAT)
    if tier:
        to_tier1(inst)
    mem = inst.exports["mem"].data
    mem[:32] = bytes(range(0x80, 0xA0))
    call = lambda name, *args: engine.call(inst.exports[name], list(args))  # noqa: E731
    lanes = lambda v, bits, signed=False: [  # noqa: E731
        int.from_bytes(v.to_bytes(16, "little")[i:i + bits // 8], "little", signed=signed)
        for i in range(0, 16, bits // 8)]
    assert lanes(call("ld8x8s", 0)[0], 16, True) == [x - 256 for x in range(0x83, 0x8B)]
    assert lanes(call("ld16x4u", 2)[0], 32) == [struct.unpack_from("<H", mem, 2 + 2 * i)[0] for i in range(4)]
    assert lanes(call("ld32x2s", 4)[0], 64, True) == list(struct.unpack_from("<2i", mem, 4))
    assert call("splat8", 1)[0] == int.from_bytes(bytes([0x81]) * 16, "little")
    assert call("splat64", 8)[0] == int.from_bytes(bytes(mem[8:16]) * 2, "little")
    assert call("zero32", 4)[0] == int.from_bytes(mem[4:8], "little")
    v = (1 << 128) - 1
    assert call("lane16", 6, v)[0] == v ^ ((0xFFFF ^ int.from_bytes(mem[6:8], "little")) << 80)
    call("st32lane", 100, 0x11111111_22222222_33333333_44444444)
    assert mem[102:106] == (0x11111111).to_bytes(4, "little")
    call("st", 200, 0x0F0E0D0C0B0A09080706050403020100)
    assert bytes(mem[200:216]) == bytes(range(16)) and call("ld", 200) == [int.from_bytes(bytes(range(16)), "little")]
    assert call("keep", 0, 0) == [0x80 << 120 | 4 << 96 | 3 << 64 | 2 << 32 | 1]
    # Bounds: the last byte of the access is the one checked, after the offset.
    assert call("ld", 65536 - 16)
    for name, args in (("ld", (65536 - 15,)), ("ld8x8s", (65536 - 10,)), ("splat64", (65536 - 7,)),
                       ("zero32", (65533,)), ("lane16", (65535, 0)), ("st32lane", (65531, 0)),
                       ("st", (0xFFFFFFFF, 0)), ("splat8", (65536,))):
        with pytest.raises(Trap, match="out of bounds memory access"):
            call(name, *args)
    assert call("splat8", 65535)  # the very last byte is in bounds
    assert bytes(mem[65520:65536]) == bytes(16)  # nothing written by the trapping stores


# -- the whole-vector integer ops against a lane-by-lane model ----------------------------------

def _lanes(v: int, bits: int, signed: bool) -> List[int]:
    out = []
    for i in range(0, 128, bits):
        x = (v >> i) & ((1 << bits) - 1)
        out.append(x - (1 << bits) if signed and x >> (bits - 1) else x)
    return out


def _pack(lanes: List[int], bits: int) -> int:
    return sum((x & ((1 << bits) - 1)) << (i * bits) for i, x in enumerate(lanes))


def _model() -> Dict[str, Any]:
    """name: (signed, lane function) of the ops computed on all lanes at once by bit tricks."""
    model: Dict[str, Any] = {}
    for shape, bits in (("i8x16", 8), ("i16x8", 16), ("i32x4", 32), ("i64x2", 64)):
        lo_s, hi_s, hi_u = -(1 << (bits - 1)), (1 << (bits - 1)) - 1, (1 << bits) - 1
        model[f"{shape}.add"] = (False, lambda x, y: x + y)
        model[f"{shape}.sub"] = (False, lambda x, y: x - y)
        model[f"{shape}.eq"] = (False, lambda x, y: -(x == y))
        model[f"{shape}.ne"] = (False, lambda x, y: -(x != y))
        for sg in "su":
            for op, f in (("lt", lambda x, y: x < y), ("gt", lambda x, y: x > y),
                          ("le", lambda x, y: x <= y), ("ge", lambda x, y: x >= y)):
                model[f"{shape}.{op}_{sg}"] = (sg == "s", lambda x, y, f=f: -f(x, y))
            model[f"{shape}.min_{sg}"] = (sg == "s", min)
            model[f"{shape}.max_{sg}"] = (sg == "s", max)
            lo, hi = (lo_s, hi_s) if sg == "s" else (0, hi_u)
            model[f"{shape}.add_sat_{sg}"] = (sg == "s", lambda x, y, lo=lo, hi=hi: min(max(x + y, lo), hi))
            model[f"{shape}.sub_sat_{sg}"] = (sg == "s", lambda x, y, lo=lo, hi=hi: min(max(x - y, lo), hi))
        model[f"{shape}.avgr_u"] = (False, lambda x, y: (x + y + 1) >> 1)
        # shifts: y is the count (the same in every lane of the model)
        model[f"{shape}.shl"] = (False, lambda x, y, bits=bits: x << (y % bits))
        model[f"{shape}.shr_u"] = (False, lambda x, y, bits=bits: x >> (y % bits))
        model[f"{shape}.shr_s"] = (True, lambda x, y, bits=bits: x >> (y % bits))
    return {name: m for name, m in model.items() if name in SIMD}


def test_whole_vector_integer_ops_match_a_lane_model() -> None:
    from wasmlite.numeric import helper_namespace

    rnd = random.Random(11)
    model = _model()
    # add, sub, eq, ne (16), other compares (28), min/max (12), sat (8), avgr (2), shifts (12)
    assert len(model) == 78
    for name, (signed, f) in sorted(model.items()):
        bits = SHAPE_BITS[name.partition(".")[0]]
        t = SIMD[name]
        fn = eval(f"lambda a, b: {t.render('a', 'b')}", helper_namespace(t.helpers))
        edges = [0, 1, 2, (1 << (bits - 1)) - 1, 1 << (bits - 1), (1 << (bits - 1)) + 1, (1 << bits) - 2,
                 (1 << bits) - 1]
        for _ in range(400):
            a, b = (_pack([rnd.choice(edges) if rnd.random() < 0.6 else rnd.getrandbits(bits)
                           for _ in range(128 // bits)], bits) for _ in range(2))
            if "sh" in name:  # a shift count: an i32
                b = rnd.choice([0, 1, bits - 1, bits, bits + 1, 2 * bits - 1]) if rnd.random() < 0.5 \
                    else rnd.getrandbits(32)
                want = _pack([f(x, b) for x in _lanes(a, bits, signed)], bits)
            else:
                want = _pack([f(x, y) for x, y in zip(_lanes(a, bits, signed), _lanes(b, bits, signed))], bits)
            assert fn(a, b) == want, (name, hex(a), hex(b))
