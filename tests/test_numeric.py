"""Tests of wasmlite.numeric: spec-derived edge cases, and a bit-exact differential
run against wasmtime (the reference runtime) on edge and random values.

Float operands and results are written as their IEEE bit patterns (ints) or as
Python floats; NaN payloads are only ever given as bits. i64 operands and results
are written unsigned, whichever representation the engine uses (``I64_SIGNED``;
``test_i64_repr`` runs these tests under the other one too).
"""

from __future__ import annotations

import ast
import builtins
import math
import random
import struct
from fractions import Fraction

import pytest

from wasmlite.errors import Trap
from wasmlite.numeric import (
    HELPERS, I64_SIGNED, SCALAR, evaluator, f32_from_bits, f32_round, f32_to_bits, f64_from_bits,
    f64_to_bits, helper_namespace, i64_of, names,
)
from wasmlite.numeric.scalar import (
    DIVIDE_BY_ZERO, INVALID_CONVERSION, OVERFLOW, f32_demote, f32_from_int,
)
from wasmlite.opcodes import all_ops
from wasmlite.syntax import F32, F64, I32, I64

SCALAR_TYPES = (I32, I64, F32, F64)
TYPE_NAME = {I32: "i32", I64: "i64", F32: "f32", F64: "f64"}
OPS = {op.name: op for op in all_ops()}

# Ops whose NaN results the spec leaves partly open (canonical or arithmetic NaN);
# every other op is deterministic, bit for bit.
NONDETERMINISTIC_NAN = {
    n for n in SCALAR
    if n[:3] in ("f32", "f64")
    and n.split(".")[1] not in ("abs", "neg", "copysign", "reinterpret_i32", "reinterpret_i64")
}


# --- value conversion -----------------------------------------------------------

def to_value(t, x):
    """A test operand (bits as int, or a float) -> the run-time representation."""
    if t == F32:
        return f32_from_bits(x) if isinstance(x, int) else f32_round(x)
    if t == F64:
        return f64_from_bits(x) if isinstance(x, int) else float(x)
    return i64_of(x) if t == I64 else x


def to_bits(t, v):
    if t == F32:
        return f32_to_bits(v)
    if t == F64:
        return f64_to_bits(v)
    return v & 0xFFFFFFFFFFFFFFFF if t == I64 else v


def float_bits(t, x):
    if isinstance(x, int):
        return x
    return f32_to_bits(f32_round(x)) if t == F32 else f64_to_bits(x)


def nan_kind(t, bits):
    """None (not a NaN), 'canonical', 'arithmetic' (quiet, other payload) or 'signalling'."""
    if t == F32:
        exp, mant, quiet = 0x7F800000, 0x7FFFFF, 0x400000
    else:
        exp, mant, quiet = 0x7FF0000000000000, 0xFFFFFFFFFFFFF, 1 << 51
    if bits & exp != exp or not bits & mant:
        return None
    if bits & mant == quiet:
        return "canonical"
    return "arithmetic" if bits & quiet else "signalling"


def run(name, *args):
    """Run ``name`` on test operands; the result as bits, or ('trap', message)."""
    op = OPS[name]
    values = [to_value(t, a) for t, a in zip(op.params, args)]
    try:
        result = evaluator(name)(*values)
    except Trap as e:
        return ("trap", e.message)
    rt = op.results[0]
    check_representation(rt, result, name)
    return to_bits(rt, result)


def check_representation(t, v, name):
    if t in (I32, I64):
        assert type(v) is int, (name, v)
        low = -(1 << 63) if t == I64 and I64_SIGNED else 0
        assert low <= v < low + (1 << (32 if t == I32 else 64)), (name, v)
    else:
        assert type(v) is float, (name, v)
        if t == F32:
            if v == v:
                assert f32_round(v) == v, (name, v)
            else:  # an f32 NaN: the double's low 29 mantissa bits are clear
                assert f64_to_bits(v) & 0x1FFFFFFF == 0, (name, hex(f64_to_bits(v)))


def expected_ok(name, args, got, want):
    """Compare one result with an expectation: bits, float, 'canon', 'arith' or trap."""
    rt = OPS[name].results[0]
    if isinstance(want, tuple):
        return got == want
    if isinstance(got, tuple):
        return False
    if want == "canon":
        return nan_kind(rt, got) == "canonical"
    if want == "arith":
        return nan_kind(rt, got) in ("canonical", "arithmetic")
    return got == (want if rt in (I32, I64) else float_bits(rt, want))


def TRAP(message):
    return ("trap", message)


# --- the table itself -------------------------------------------------------------

def test_covers_every_scalar_numeric_op():
    expected = set()
    for op in all_ops():
        if (op.params and op.results is not None and len(op.results) == 1
                and not op.imm and not op.mem_size
                and all(t in SCALAR_TYPES for t in op.params + op.results)):
            expected.add(op.name)
    assert set(SCALAR) == expected
    assert names() == list(SCALAR)
    assert len(SCALAR) == 136


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_template_shape(name):
    t = SCALAR[name]
    op = OPS[name]
    assert t.arity == len(op.params)
    placeholders = [f"{{{i}}}" for i in range(t.arity)]
    assert t.dup_operands == tuple(i for i in range(t.arity) if t.expr.count(placeholders[i]) > 1)
    tree = ast.parse(t.render(*[f"a{i}" for i in range(t.arity)]), mode="eval")
    free = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"a0", "a1"}
    assert {n for n in free if not hasattr(builtins, n)} == set(t.helpers)
    assert all(not hasattr(builtins, h) and h in HELPERS for h in t.helpers)
    if t.cond is not None:
        assert op.results == (I32,)
        ast.parse(t.render_cond(*[f"a{i}" for i in range(t.arity)]), mode="eval")
    # Atom output: wrapping it in an attribute access parses to the same expression.
    rendered = t.render(*[f"a{i}" for i in range(t.arity)])
    assert isinstance(ast.parse(rendered + ".real", mode="eval").body, ast.Attribute)


SAMPLES = {
    I32: [0, 1, 5, 31, 32, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x12345678],
    I64: [0, 1, 63, 64, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF],
    F32: [0.0, -0.0, 1.5, -2.5, 1e30, float("inf"), 0x7FA00001, 0xFFC00000, 0x00000001],
    F64: [0.0, -0.0, 1.5, -2.5, 1e300, float("-inf"), 0x7FF4000000000001, 5e-324],
}


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_render_with_expression_operands(name):
    """Operands that are expressions of low precedence or literals keep their meaning."""
    t = SCALAR[name]
    op = OPS[name]
    ns = helper_namespace(t.helpers)
    rnd = random.Random(name)
    for _ in range(12):
        args = [to_value(tp, rnd.choice(SAMPLES[tp])) for tp in op.params]
        ns.update({f"a{i}": a for i, a in enumerate(args)})
        operands = [f"a{i} if True else a{i}" for i in range(t.arity)]
        if op.params[0] in (I32, I64):
            operands[0] = str(args[0])  # a literal: (5).bit_length(), not 5.bit_length()
        try:
            want = evaluator(name)(*args)
        except Trap as e:
            with pytest.raises(Trap) as info:
                eval(t.render(*operands), ns)
            assert info.value.message == e.message
            continue
        got = eval(t.render(*operands), ns)
        assert to_bits(op.results[0], got) == to_bits(op.results[0], want)
        if t.cond is not None:
            assert bool(eval(t.render_cond(*operands), ns)) == bool(want)


def test_evaluator_is_cached_and_rejects_unknown_names():
    assert evaluator("i32.add") is evaluator("i32.add")
    with pytest.raises(KeyError):
        evaluator("i32.load")


# --- representation ---------------------------------------------------------------

F32_PATTERNS = [
    0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x3F800000,
    0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001,
    0xFF800001, 0x7FA00000, 0x7FBFFFFF, 0x7FC00001, 0x7FFFFFFF, 0xFFFFFFFF, 0x7F812345,
]


def test_f32_bits_round_trip():
    rnd = random.Random(1)
    for b in F32_PATTERNS + [rnd.getrandbits(32) for _ in range(20000)]:
        v = f32_from_bits(b)
        assert f32_to_bits(v) == b, hex(b)
        check_representation(F32, v, "f32_from_bits")
        if nan_kind(F32, b) is None:
            assert v == struct.unpack("<f", struct.pack("<I", b))[0]
        else:
            assert v != v
            assert f64_to_bits(v) >> 63 == b >> 31


def test_f64_bits_round_trip():
    rnd = random.Random(2)
    for b in [0x7FF0000000000001, 0xFFF4000000000000, 0x7FF8000000000000, 1, 1 << 63] + [
            rnd.getrandbits(64) for _ in range(5000)]:
        assert f64_to_bits(f64_from_bits(b)) == b


def test_f32_to_bits_of_foreign_nan_stays_nan():
    # A double NaN whose payload is only in the low 29 bits: not an f32 NaN image.
    assert nan_kind(F32, f32_to_bits(f64_from_bits(0x7FF0000000000001))) is not None


def exact_f32(q):
    """Round a Fraction to the nearest f32 (ties to even), as a float; exact reference."""
    if q == 0:
        return 0.0
    sign = -1 if q < 0 else 1
    q = abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    if Fraction(2) ** e > q:
        e -= 1
    quantum = Fraction(2) ** (max(e, -126) - 23)
    n, rest = divmod(q, quantum)
    if rest * 2 > quantum or (rest * 2 == quantum and n % 2):
        n += 1
    v = n * quantum
    return sign * (math.inf if v >= 2 ** 128 else float(v))


def test_f32_round_matches_exact_rounding():
    rnd = random.Random(3)
    cases = [3.4028235677973366e38, 3.4028235677973362e38, 1.401298464324817e-45 / 2,
             1.401298464324817e-45 * 0.5000001, 1.401298464324817e-45 * 1.5, 1e-50, 1e50]
    for _ in range(20000):
        m = rnd.getrandbits(53) | 1 << 52
        if rnd.random() < 0.5:  # exactly at, just below or just above a halfway point
            m = (m >> 29 << 29) | rnd.choice([1 << 28, (1 << 28) - 1, (1 << 28) + 1])
        cases.append(math.ldexp(m, rnd.randint(-180, 130) - 52) * rnd.choice((1, -1)))
    for x in cases:
        want = exact_f32(Fraction(x))
        for got in (f32_round(x), f32_demote(x)):
            assert got == want and math.copysign(1, got) == math.copysign(1, want), x.hex()


def test_f32_from_int_rounds_once():
    rnd = random.Random(4)
    cases = [0, 1, -1, 2 ** 24 + 1, 2 ** 53 + 1, 2 ** 63, -2 ** 63, 2 ** 64 - 1,
             2 ** 60 + 2 ** 36 + 1, 2 ** 60 + 2 ** 36, 2 ** 60 + 3 * 2 ** 36,
             -(2 ** 60 + 2 ** 36 + 1)]
    for _ in range(20000):
        bits = rnd.randint(1, 64)
        n = rnd.getrandbits(bits)
        if rnd.random() < 0.5 and bits > 26:  # near a halfway point
            shift = bits - 25
            n = (n >> shift << shift) | (1 << (shift - 1)) + rnd.choice((-1, 0, 1))
        cases.append(n if rnd.random() < 0.5 or n >= 2 ** 63 else -n)
    for n in cases:
        assert f32_from_int(n) == exact_f32(Fraction(n)), n


# --- spec-derived edge cases -------------------------------------------------------

NAN32, NNAN32, SNAN32 = 0x7FC00000, 0xFFC00000, 0x7FA00000
NAN64, SNAN64 = 0x7FF8000000000000, 0x7FF4000000000000
INF, NINF = float("inf"), float("-inf")
TWO63 = float(1 << 63)  # PyPy 7.3 turns the literal -9223372036854775808.0 into an int
I32_MIN, I64_MIN = 0x80000000, 0x8000000000000000
M32, M64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF

EDGE_CASES = [
    # integer arithmetic wraps; signed ops reinterpret
    ("i32.add", (M32, 1), 0), ("i32.sub", (0, 1), M32), ("i32.mul", (0x10000, 0x10000), 0),
    ("i64.add", (M64, 2), 1), ("i64.mul", (I64_MIN, 2), 0),
    ("i32.div_s", (7, M32 - 1), M32 - 2), ("i32.div_s", (M32 - 6, 2), M32 - 2),
    ("i32.div_s", (I32_MIN, M32), TRAP(OVERFLOW)), ("i32.div_s", (1, 0), TRAP(DIVIDE_BY_ZERO)),
    ("i32.div_u", (I32_MIN, 2), 0x40000000), ("i32.div_u", (1, 0), TRAP(DIVIDE_BY_ZERO)),
    ("i32.rem_s", (M32 - 6, 2), M32), ("i32.rem_s", (7, M32 - 1), 1),
    ("i32.rem_s", (I32_MIN, M32), 0), ("i32.rem_u", (M32 - 6, 2), 1),
    ("i32.rem_s", (0, 0), TRAP(DIVIDE_BY_ZERO)), ("i32.rem_u", (5, 0), TRAP(DIVIDE_BY_ZERO)),
    ("i64.div_s", (I64_MIN, M64), TRAP(OVERFLOW)), ("i64.rem_s", (I64_MIN, M64), 0),
    ("i64.div_s", (M64 - 6, 2), M64 - 2), ("i64.rem_s", (M64 - 6, 2), M64),
    ("i64.div_u", (M64, 0), TRAP(DIVIDE_BY_ZERO)), ("i64.rem_u", (M64, 0), TRAP(DIVIDE_BY_ZERO)),
    ("i32.shl", (1, 33), 2), ("i32.shl", (M32, 31), I32_MIN), ("i32.shr_s", (I32_MIN, 31), M32),
    ("i32.shr_s", (I32_MIN, 32), I32_MIN), ("i32.shr_u", (I32_MIN, 63), 1),
    ("i64.shl", (1, 65), 2), ("i64.shr_s", (I64_MIN, 63), M64), ("i64.shr_u", (M64, 64), M64),
    ("i32.rotl", (0x80000001, 1), 3), ("i32.rotr", (1, 1), I32_MIN),
    ("i32.rotl", (0x12345678, 36), 0x23456781), ("i64.rotr", (1, 65), I64_MIN),
    ("i64.rotl", (I64_MIN, 0), I64_MIN),
    ("i32.clz", (0,), 32), ("i32.clz", (1,), 31), ("i32.ctz", (0,), 32), ("i32.ctz", (I32_MIN,), 31),
    ("i64.clz", (0,), 64), ("i64.ctz", (0,), 64), ("i64.popcnt", (M64,), 64),
    ("i32.popcnt", (0xAAAAAAAA,), 16),
    ("i32.lt_s", (M32, 0), 1), ("i32.lt_u", (M32, 0), 0), ("i32.ge_s", (I32_MIN, 0x7FFFFFFF), 0),
    ("i64.gt_s", (0, M64), 1), ("i64.le_u", (M64, 0), 0), ("i32.eqz", (0,), 1), ("i64.eqz", (M64,), 0),
    ("i32.extend8_s", (0x80,), 0xFFFFFF80), ("i32.extend8_s", (0x17F,), 0x7F),
    ("i32.extend16_s", (0x8000,), 0xFFFF8000), ("i64.extend32_s", (0x80000000,), 0xFFFFFFFF80000000),
    ("i64.extend8_s", (0xFF,), M64), ("i64.extend_i32_s", (M32,), M64),
    ("i64.extend_i32_u", (M32,), M32), ("i32.wrap_i64", (0x123456789,), 0x23456789),
    # float arithmetic
    ("f64.add", (1.0, 2.0 ** -53), 1.0), ("f64.add", (INF, NINF), "canon"),
    ("f64.div", (0.0, 0.0), "canon"), ("f64.div", (1.0, -0.0), NINF), ("f64.div", (-1.0, -0.0), INF),
    ("f64.div", (SNAN64, 0.0), "arith"), ("f64.div", (NAN64, 0.0), "canon"),
    ("f32.div", (-0.0, 0.0), "canon"), ("f32.div", (1.0, 3.0), 0x3EAAAAAB),
    ("f32.add", (0x7F7FFFFF, 0x73000000), 0x7F800000),  # max + half ulp: ties away to inf
    ("f32.add", (0x7F7FFFFF, 0x72FFFFFF), 0x7F7FFFFF),
    ("f32.mul", (0x00800000, 0.5), 0x00400000), ("f32.mul", (0x00000001, 0.5), 0),
    ("f32.mul", (0x00000003, 0.5), 0x00000002), ("f32.mul", (SNAN32, 1.0), "arith"),
    ("f32.sub", (INF, INF), "canon"), ("f32.mul", (0.0, INF), "canon"),
    ("f32.sqrt", (-1.0,), "canon"), ("f32.sqrt", (-0.0,), -0.0), ("f32.sqrt", (2.0,), 0x3FB504F3),
    ("f64.sqrt", (NINF,), "canon"), ("f64.sqrt", (SNAN64,), "arith"), ("f64.sqrt", (INF,), INF),
    ("f32.min", (0.0, -0.0), -0.0), ("f32.min", (-0.0, 0.0), -0.0), ("f32.max", (-0.0, 0.0), 0.0),
    ("f64.max", (0.0, -0.0), 0.0), ("f64.min", (NAN64, 1.0), "canon"), ("f64.max", (1.0, SNAN64), "arith"),
    ("f32.min", (NINF, NAN32), "canon"), ("f32.max", (SNAN32, INF), "arith"),
    ("f64.min", (NAN64, NAN64), "canon"), ("f32.min", (3.0, 3.0), 3.0),
    # sign-bit operations keep NaN payloads exactly
    ("f32.neg", (SNAN32,), 0xFFA00000), ("f32.abs", (0xFFA00001,), 0x7FA00001),
    ("f32.copysign", (SNAN32, -1.0), 0xFFA00000), ("f32.copysign", (1.0, 0xFFC00000), -1.0),
    ("f64.neg", (SNAN64 | 5,), 0xFFF4000000000005), ("f64.abs", (0xFFF0000000000001,), 0x7FF0000000000001),
    ("f64.copysign", (0x7FF0000000000001, -0.0), 0xFFF0000000000001),
    ("f32.neg", (0.0,), -0.0), ("f64.abs", (-0.0,), 0.0),
    # rounding to integral
    ("f64.nearest", (-0.5,), -0.0), ("f64.nearest", (0.5,), 0.0), ("f64.nearest", (1.5,), 2.0),
    ("f64.nearest", (2.5,), 2.0), ("f64.nearest", (-2.5,), -2.0), ("f64.nearest", (-3.5,), -4.0),
    ("f64.nearest", (4503599627370497.0,), 4503599627370497.0),
    ("f64.nearest", (4503599627370495.5,), 4503599627370496.0),
    ("f32.nearest", (0x4B7FFFFF,), 0x4B7FFFFF), ("f32.nearest", (8388607.5,), 8388608.0),
    ("f32.nearest", (-0.0,), -0.0), ("f32.nearest", (SNAN32,), "arith"),
    ("f64.ceil", (-0.5,), -0.0), ("f64.ceil", (0.5,), 1.0), ("f64.ceil", (-0.0,), -0.0),
    ("f64.ceil", (1e300,), 1e300), ("f64.ceil", (NINF,), NINF), ("f64.ceil", (SNAN64,), "arith"),
    ("f64.floor", (-0.5,), -1.0), ("f64.floor", (0.5,), 0.0), ("f64.floor", (-0.0,), -0.0),
    ("f32.floor", (NAN32,), "canon"), ("f32.floor", (0x80000001,), -1.0), ("f32.ceil", (1,), 1.0),
    ("f64.trunc", (-0.9,), -0.0), ("f64.trunc", (-1.9,), -1.0), ("f64.trunc", (INF,), INF),
    ("f32.trunc", (-4503599627370495.5,), -4503599627370496.0),
    ("f64.trunc", (-4503599627370495.5,), -4503599627370495.0),
    # comparisons with NaN and zeros
    ("f32.eq", (NAN32, NAN32), 0), ("f32.ne", (NAN32, NAN32), 1), ("f64.lt", (NAN64, INF), 0),
    ("f64.ge", (NAN64, NINF), 0), ("f64.eq", (0.0, -0.0), 1), ("f32.le", (-0.0, 0.0), 1),
    ("f32.gt", (SNAN32, 0.0), 0),
    # trapping truncation
    ("i32.trunc_f64_s", (-2147483648.9,), I32_MIN), ("i32.trunc_f64_s", (-2147483649.0,), TRAP(OVERFLOW)),
    ("i32.trunc_f64_s", (2147483647.9,), 0x7FFFFFFF), ("i32.trunc_f64_s", (2147483648.0,), TRAP(OVERFLOW)),
    ("i32.trunc_f64_u", (-0.9,), 0), ("i32.trunc_f64_u", (-1.0,), TRAP(OVERFLOW)),
    ("i32.trunc_f64_u", (4294967295.9,), M32), ("i32.trunc_f64_u", (4294967296.0,), TRAP(OVERFLOW)),
    ("i32.trunc_f32_s", (-2147483648.0,), I32_MIN), ("i32.trunc_f32_s", (0xCF000001,), TRAP(OVERFLOW)),
    ("i32.trunc_f32_s", (NAN32,), TRAP(INVALID_CONVERSION)), ("i32.trunc_f32_u", (INF,), TRAP(OVERFLOW)),
    ("i64.trunc_f64_s", (-TWO63,), I64_MIN),
    ("i64.trunc_f64_s", (9223372036854775808.0,), TRAP(OVERFLOW)),
    ("i64.trunc_f64_s", (0xC3E0000000000001,), TRAP(OVERFLOW)),
    ("i64.trunc_f64_s", (9223372036854774784.0,), 0x7FFFFFFFFFFFFC00),
    ("i64.trunc_f64_u", (18446744073709549568.0,), 0xFFFFFFFFFFFFF800),
    ("i64.trunc_f64_u", (18446744073709551616.0,), TRAP(OVERFLOW)),
    ("i64.trunc_f64_u", (-0.99,), 0), ("i64.trunc_f32_u", (SNAN32,), TRAP(INVALID_CONVERSION)),
    ("i64.trunc_f32_s", (NINF,), TRAP(OVERFLOW)), ("i64.trunc_f64_u", (0xFFF8000000000001,),
                                                   TRAP(INVALID_CONVERSION)),
    # saturating truncation
    ("i32.trunc_sat_f32_s", (NAN32,), 0), ("i32.trunc_sat_f32_s", (INF,), 0x7FFFFFFF),
    ("i32.trunc_sat_f32_s", (NINF,), I32_MIN), ("i32.trunc_sat_f64_s", (-2147483648.9,), I32_MIN),
    ("i32.trunc_sat_f64_u", (-5.0,), 0), ("i32.trunc_sat_f64_u", (4294967296.0,), M32),
    ("i32.trunc_sat_f64_u", (0xFFF8000000000000,), 0), ("i64.trunc_sat_f64_s", (1e300,), 0x7FFFFFFFFFFFFFFF),
    ("i64.trunc_sat_f64_s", (-1e300,), I64_MIN), ("i64.trunc_sat_f32_u", (1e30,), M64),
    ("i64.trunc_sat_f32_u", (-0.9,), 0), ("i64.trunc_sat_f64_s", (SNAN64,), 0),
    # conversions
    ("f32.convert_i32_s", (M32,), -1.0), ("f32.convert_i32_u", (M32,), 4294967296.0),
    ("f32.convert_i32_s", (0x01000001,), 16777216.0), ("f32.convert_i32_s", (0x01000003,), 16777220.0),
    ("f32.convert_i64_u", (M64,), 0x5F800000), ("f32.convert_i64_s", (I64_MIN,), 0xDF000000),
    ("f32.convert_i64_s", (2 ** 60 + 2 ** 36 + 1,), 0x5D800001),  # double rounding would give 2**60
    ("f32.convert_i64_u", (2 ** 63 + 2 ** 39 + 1,), 0x5F000001),
    ("f32.convert_i64_s", (M64 - 2 ** 60 - 2 ** 36,), 0xDD800001),
    ("f64.convert_i64_u", (M64,), 18446744073709551616.0), ("f64.convert_i64_s", (M64,), -1.0),
    ("f64.convert_i64_u", (2 ** 53 + 1,), 9007199254740992.0),
    ("f64.convert_i64_u", (2 ** 53 + 3,), 9007199254740996.0),
    ("f64.convert_i32_s", (I32_MIN,), -2147483648.0), ("f64.convert_i32_u", (I32_MIN,), 2147483648.0),
    ("f32.demote_f64", (0x47EFFFFFF0000000,), INF), ("f32.demote_f64", (0x47EFFFFFEFFFFFFF,), 0x7F7FFFFF),
    ("f32.demote_f64", (0xC7EFFFFFF0000000,), NINF), ("f32.demote_f64", (1e300,), INF),
    ("f32.demote_f64", (0x3690000000000000,), 0.0),  # 2**-150: tie to even zero
    ("f32.demote_f64", (0x3690000000000001,), 1), ("f32.demote_f64", (0xB6A8000000000000,), 0x80000002),
    ("f32.demote_f64", (-1e-300,), -0.0), ("f32.demote_f64", (0x3FF0000010000000,), 1.0),
    ("f32.demote_f64", (0x3FF0000030000000,), 0x3F800002),
    ("f32.demote_f64", (NAN64,), "canon"), ("f32.demote_f64", (0xFFF4000020000000,), 0xFFE00001),
    ("f32.demote_f64", (0x7FF0000000000001,), "arith"),
    ("f64.promote_f32", (SNAN32 | 1,), 0x7FFC000020000000), ("f64.promote_f32", (NNAN32,), "canon"),
    ("f64.promote_f32", (1,), 1.401298464324817e-45), ("f64.promote_f32", (-0.0,), -0.0),
    ("i32.reinterpret_f32", (SNAN32 | 1,), SNAN32 | 1), ("f32.reinterpret_i32", (0xFFA00001,), 0xFFA00001),
    ("i64.reinterpret_f64", (SNAN64 | 1,), SNAN64 | 1), ("f64.reinterpret_i64", (SNAN64,), SNAN64),
]


@pytest.mark.parametrize("name,args,want", EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_edge_case(name, args, want):
    got = run(name, *args)
    assert expected_ok(name, args, got, want), (got if isinstance(got, tuple) else hex(got))


# --- differential test against wasmtime ---------------------------------------------

def _values():
    rnd = random.Random(20240601)
    i32 = [0, 1, 2, 3, 7, 31, 32, 33, 63, 64, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
           0x10000, 0x40000000, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFF80, 0xFFFF8000,
           0xFFFFFFFE, 0xFFFFFFFF, 0x12345678, 0xDEADBEEF, 0x01000001, 0x01000003]
    i64 = [0, 1, 2, 3, 7, 63, 64, 65, 0x80, 0xFFFFFFFF, 0x80000000, 0x100000000,
           0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0x8000000000000001, 0xFFFFFFFFFFFFFFFF,
           0xFFFFFFFFFFFFFFFE, 0xFFFFFFFF80000000, 0x0123456789ABCDEF, 0xFEDCBA9876543210,
           2 ** 53 + 1, 2 ** 60 + 2 ** 36 + 1, 2 ** 60 + 2 ** 36, 2 ** 60 + 3 * 2 ** 36,
           2 ** 63 + 2 ** 39 + 1, 2 ** 64 - 2 ** 60 - 2 ** 36, 2 ** 64 - 2 ** 40 - 1,
           0x0000008000000001, 0x0000010000000080]
    f32 = F32_PATTERNS + [float_bits(F32, x) for x in (
        0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -1.0, 2.0, 3.0, 1e-40, 8388607.5,
        8388608.0, 16777216.0, 2147483520.0, 2147483648.0, -2147483648.0, 4294967040.0,
        4294967296.0, 9.223372e18, TWO63, -TWO63,
        18446744073709551616.0, 1e30, 3.1415927)] + [0xCF000001, 0x7F7FFFFE, 0x33800000]
    f64 = [0, 1 << 63, 1, 0x800FFFFFFFFFFFFF, 0x0010000000000000, 0x7FEFFFFFFFFFFFFF,
           0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000,
           0x7FF4000000000000, 0x7FF0000000000001, 0xFFF8000000000001, 0x7FFFFFFFFFFFFFFF,
           0x7FF4000020000000, 0x47EFFFFFE0000000, 0x47EFFFFFF0000000, 0x47EFFFFFEFFFFFFF,
           0x47EFFFFFF0000001, 0x36A0000000000000, 0x3690000000000000, 0x3690000000000001,
           0x3FF0000010000000, 0x3FF0000010000001, 0x3FF0000030000000, 0xC3E0000000000001,
           0x380FFFFFF0000000] + [float_bits(F64, x) for x in (
        0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -1.0, 2.0, 3.0, -0.9,
        4503599627370495.5, 4503599627370496.0, 2147483647.9, -2147483648.9, -2147483649.0,
        2147483648.0, 4294967295.9, 4294967296.0, 9223372036854774784.0,
        TWO63, -TWO63, 18446744073709549568.0,
        18446744073709551616.0, 1e300, 1e-300, 3.141592653589793)]
    for _ in range(24):
        i32.append(rnd.getrandbits(32))
        i64.append(rnd.getrandbits(64))
        f32.append(rnd.getrandbits(32))
        f64.append(rnd.getrandbits(64))
        # values in the interesting range for conversions and rounding
        x = rnd.uniform(-1, 1) * 2.0 ** rnd.randint(-3, 66)
        f32.append(float_bits(F32, x))
        f64.append(float_bits(F64, x))
    return {I32: i32, I64: i64, F32: f32, F64: f64}


VALUES = _values()
BATCH = 8192
OUT = BATCH * 16  # inputs: 16 bytes a case (two 8-byte slots); then 8-byte results


def _cases(op, rnd):
    params = op.params
    if len(params) == 1:
        return [(v,) for v in VALUES[params[0]]]
    a, b = VALUES[params[0]], VALUES[params[1]]
    cases = [(x, y) for x in a for y in b]
    cases += [(rnd.choice(a) if rnd.random() < 0.5 else rnd.getrandbits(64 if params[0] in (I64, F64) else 32),
               rnd.getrandbits(64 if params[1] in (I64, F64) else 32)) for _ in range(300)]
    return cases


def _wat(names_):
    funcs = []
    for name in names_:
        op = OPS[name]
        loads = []
        for k, t in enumerate(op.params):
            addr = "(i32.shl (local.get $i) (i32.const 4))"
            if t in (I32, F32):
                load = f"(i32.load offset={8 * k} {addr})"
                loads.append(f"(f32.reinterpret_i32 {load})" if t == F32 else load)
            else:
                load = f"(i64.load offset={8 * k} {addr})"
                loads.append(f"(f64.reinterpret_i64 {load})" if t == F64 else load)
        expr = f"({name} {' '.join(loads)})"
        rt = op.results[0]
        if rt == F32:
            expr = f"(i32.reinterpret_f32 {expr})"
        elif rt == F64:
            expr = f"(i64.reinterpret_f64 {expr})"
        store = "i32.store" if rt in (I32, F32) else "i64.store"
        funcs.append(f"""
  (func (export "{name}") (param $start i32) (param $n i32) (local $i i32)
    (local.set $i (local.get $start))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (global.set $cur (local.get $i))
      ({store} offset={OUT} (i32.shl (local.get $i) (i32.const 3)) {expr})
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))""")
    return "(module (memory (export \"mem\") 4)\n  (global $cur (export \"cur\") (mut i32) (i32.const 0))" + "".join(funcs) + ")"


def _reference_results(wasmtime, store, inst, name, cases):
    """Run cases in wasmtime: per case, result bits or ('trap', wasmtime's message)."""
    ex = inst.exports(store)
    mem, cur, fn = ex["mem"], ex["cur"], ex[name]
    op = OPS[name]
    out = []
    for base in range(0, len(cases), BATCH):
        chunk = cases[base:base + BATCH]
        buf = bytearray(16 * len(chunk))
        for j, case in enumerate(chunk):
            for k, v in enumerate(case):
                struct.pack_into("<Q", buf, 16 * j + 8 * k, v)
        mem.write(store, bytes(buf), 0)
        traps = {}
        start = 0
        while start < len(chunk):
            try:
                fn(store, start, len(chunk))
                break
            except wasmtime.Trap as e:
                i = cur.value(store)
                traps[i] = e.message
                start = i + 1
        raw = mem.read(store, OUT, OUT + 8 * len(chunk))
        width = op.results[0] in (I32, F32)
        for j in range(len(chunk)):
            if j in traps:
                out.append(("trap", traps[j]))
            else:
                v = struct.unpack_from("<Q", raw, 8 * j)[0]
                out.append(v & 0xFFFFFFFF if width else v)
    return out


def _agree(name, case, ours, theirs):
    op = OPS[name]
    if isinstance(ours, tuple) or isinstance(theirs, tuple):
        return (isinstance(ours, tuple) and isinstance(theirs, tuple)
                and ours[1] in theirs[1])
    if ours == theirs:
        return True
    rt = op.results[0]
    if name not in NONDETERMINISTIC_NAN or not (nan_kind(rt, ours) and nan_kind(rt, theirs)):
        return False
    # Both NaN where the spec allows a choice: canonical if every NaN input is canonical,
    # else any arithmetic (quiet) NaN.
    inputs = [nan_kind(t, v) for t, v in zip(op.params, case) if t in (F32, F64)]
    if all(k in (None, "canonical") for k in inputs):
        return nan_kind(rt, ours) == "canonical"
    return nan_kind(rt, ours) in ("canonical", "arithmetic")


def test_differential_against_wasmtime():
    wasmtime = pytest.importorskip("wasmtime")
    all_names = sorted(SCALAR)
    store = wasmtime.Store()
    module = wasmtime.Module(store.engine, wasmtime.wat2wasm(_wat(all_names)))
    inst = wasmtime.Instance(store, module, [])
    rnd = random.Random(7)
    compared = 0
    mismatches = []
    for name in all_names:
        cases = _cases(OPS[name], rnd)
        theirs = _reference_results(wasmtime, store, inst, name, cases)
        for case, ref in zip(cases, theirs):
            ours = run(name, *case)
            compared += 1
            if not _agree(name, case, ours, ref):
                mismatches.append((name, [hex(v) for v in case], ours, ref))
    print(f"differential: {compared} cases over {len(all_names)} ops, {len(mismatches)} mismatches")
    assert not mismatches, mismatches[:20]


def _conditional_operands(t):
    """Operands of template ``t`` that occur once but are evaluated only on some paths
    (in an ``if``-expression's branches, or after the first operand of and/or)."""
    from wasmlite.numeric.templates import _FIELD

    expr = _FIELD.sub("1", t.expr)
    for i in range(t.arity):
        expr = expr.replace("{%d}" % i, f"OP{i}")
    found = set()

    def walk(node, conditional):
        if isinstance(node, ast.Name) and node.id.startswith("OP") and conditional:
            found.add(int(node.id[2:]))
        if isinstance(node, ast.IfExp):
            walk(node.test, conditional)
            walk(node.body, True)
            walk(node.orelse, True)
        elif isinstance(node, ast.BoolOp):
            walk(node.values[0], conditional)
            for v in node.values[1:]:
                walk(v, True)
        else:
            for child in ast.iter_child_nodes(node):
                walk(child, conditional)

    walk(ast.parse(expr, mode="eval"), False)
    return found - set(t.dup_operands)


def test_single_operands_are_evaluated_unconditionally():
    """Tier 1 splices a producer's expression into its consumer's template; a trapping
    producer must trap first, so no template may skip or defer such an operand
    (fuzz exec found i64.div_u testing its divisor before its dividend)."""
    from wasmlite.numeric import NUMERIC

    bad = {name: sorted(ops) for name, t in NUMERIC.items() if (ops := _conditional_operands(t))}
    assert bad == {}
