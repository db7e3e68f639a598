"""Helper functions for the scalar numeric instructions that are too involved to inline.

Every public name here may be referenced by a template in ``templates.py``; the code
generator puts the ones a function needs into the generated module's namespace.
Values follow the representation described in the package docstring.

A NaN is never handed back unchanged where the spec asks for an arithmetic NaN:
Python code that returns its NaN operand as is would let a signalling NaN through,
so such paths go through ``f_quiet``.
"""

from __future__ import annotations

import math
import os
import struct
import sys

from ..errors import Trap

__all__ = [
    "f32_from_bits", "f32_to_bits", "f64_from_bits", "f64_to_bits",
    "f32_round", "f32_demote", "f32_from_int", "f_quiet", "f_copysign",
    "f_div_zero", "f_min", "f_max", "f_sqrt", "c_sqrt", "f_ceil", "f_floor", "f_trunc", "f_nearest",
    "trap_div_zero", "i32_div_s", "i32_rem_s", "i64_div_s", "i64_rem_s",
    "i32_ctz", "i64_ctz", "i32_rotl", "i32_rotr", "i64_rotl", "i64_rotr",
    "i32_trunc_s", "i32_trunc_u", "i64_trunc_s", "i64_trunc_u",
    "i32_trunc_sat_s", "i32_trunc_sat_u", "i64_trunc_sat_s", "i64_trunc_sat_u",
    "s64_div_s", "s64_rem_s", "s64_div_u", "s64_rem_u", "s64_rotl", "s64_rotr",
    "s64_from_bits", "s64_to_bits",
]

DIVIDE_BY_ZERO = "integer divide by zero"
OVERFLOW = "integer overflow"
INVALID_CONVERSION = "invalid conversion to integer"

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_QUIET64 = 0x0008000000000000  # the double's quiet bit; also the f32 quiet bit << 29

# Native format characters: their size and byte order are the same IEEE layout on
# every platform CPython and PyPy support, and they are the fastest on PyPy.
_pack_f, _unpack_f = struct.Struct("f").pack, struct.Struct("f").unpack
_pack_d, _unpack_d = struct.Struct("d").pack, struct.Struct("d").unpack
_pack_I, _unpack_I = struct.Struct("I").pack, struct.Struct("I").unpack
_pack_Q, _unpack_Q = struct.Struct("Q").pack, struct.Struct("Q").unpack

_copysign = f_copysign = math.copysign  # a bit operation in C: NaN payloads kept
_sqrt = c_sqrt = math.sqrt  # (c_sqrt: for operands >= 0.0, NaN excluded; f_sqrt takes any)
_ceil = math.ceil
_floor = math.floor
_INF = float("inf")
_S64 = 0x8000000000000000
_pack_q, _unpack_q = struct.Struct("q").pack, struct.Struct("q").unpack


def _i64_signed() -> bool:
    """The i64 representation (``WASMLITE_I64``: ``signed`` or ``unsigned``; by
    default signed on PyPy, whose JIT keeps ints in ``[-2**63, 2**63)`` in machine
    words and makes a heap bigint of every larger one)."""
    choice = os.environ.get("WASMLITE_I64") or ("signed" if sys.implementation.name == "pypy" else "unsigned")
    if choice not in ("signed", "unsigned"):
        raise ValueError(f"WASMLITE_I64 must be 'signed' or 'unsigned', not {choice!r}")
    return choice == "signed"


I64_SIGNED = _i64_signed()
"""Whether i64 values are ints in ``[-2**63, 2**63)`` (else ``[0, 2**64)``)."""


def i64_of(n: int) -> int:
    """The run-time i64 value of the int ``n`` (taken modulo ``2**64``)."""
    return ((n + _S64) & _M64) - _S64 if I64_SIGNED else n & _M64


try:  # wrapping machine-word arithmetic, which PyPy's JIT compiles to one instruction
    from __pypy__ import intop as _intop  # type: ignore[import-not-found]
except ImportError:
    _intop = None
WORD_OPS = {"add": _intop.int_add, "sub": _intop.int_sub, "mul": _intop.int_mul, "shl": _intop.int_lshift,
            "shr_u": _intop.uint_rshift} if _intop is not None and sys.maxsize == (1 << 63) - 1 else {}
"""Signed i64 operation -> the function computing it on machine words (PyPy only;
counts of shifts must be below 64)."""
_shl64 = WORD_OPS.get("shl") or (lambda x, k: (((x << k) + _S64) & _M64) - _S64)
_shr_u64 = WORD_OPS.get("shr_u") or (lambda x, k: (x & _M64) >> k)  # k > 0: below 2**63

# Not a literal: PyPy 7.3 folds the constant -9223372036854775808.0 into an int.
_I64_MIN_F = -float(1 << 63)


def f64_to_bits(x: float) -> int:
    """The IEEE bits of an f64 (struct's 'd' and 'Q' copy bytes, so NaNs are exact)."""
    return _unpack_Q(_pack_d(x))[0]


def f64_from_bits(b: int) -> float:
    return _unpack_d(_pack_Q(b))[0]


_NAN = f64_from_bits(0x7FF8000000000000)  # the positive canonical NaN (f32 and f64)


def f32_from_bits(b: int) -> float:
    """f32 bits -> the float representing them.

    C's float->double conversion quiets signalling NaNs on x86 (measured: struct's
    'f' does so on CPython 3.9-3.13 and PyPy 7.3), so NaNs and infinities are built
    by hand; everything else goes through struct, which is exact for them.
    """
    if b & 0x7F800000 != 0x7F800000:
        return _unpack_f(_pack_I(b))[0]
    return _unpack_d(_pack_Q(
        ((b & 0x80000000) << 32) | 0x7FF0000000000000 | ((b & 0x7FFFFF) << 29)))[0]


def f32_to_bits(x: float) -> int:
    """The f32 bits of a float in the f32 representation (see ``f32_from_bits``)."""
    if x == x:
        return _unpack_I(_pack_f(x))[0]
    b = _unpack_Q(_pack_d(x))[0]
    # A NaN that only has low payload bits cannot come from f32 arithmetic, but a
    # host may pass one: keep it a NaN rather than letting it read as infinity.
    return (((b >> 32) & 0x80000000) | 0x7F800000
            | ((b >> 29) & 0x7FFFFF or 0x400000))


def f32_round(x: float) -> float:
    """Round a double (or an int exactly representable as one) to single precision.

    One IEEE round-to-nearest-even, subnormals and overflow to infinity included; NaNs
    in the f32 representation pass unchanged. struct raises OverflowError instead of
    producing infinity.
    """
    try:
        return _unpack_f(_pack_f(x))[0]
    except OverflowError:
        return _copysign(_INF, x)


def f32_demote(x: float) -> float:
    """f32.demote_f64: round once from the exact double; a NaN keeps its sign and top
    payload bits and is made quiet (struct on PyPy would keep it signalling, or turn a
    low-payload NaN into infinity)."""
    if x == x:
        return f32_round(x)
    return _unpack_d(_pack_Q((_unpack_Q(_pack_d(x))[0] & 0xFFFFFFFFE0000000) | _QUIET64))[0]


def f32_from_int(n: int) -> float:
    """The int n (signed or not, |n| < 2**64) rounded once to f32.

    ``float(n)`` would round to 53 bits first and then to 24 (double rounding), so
    wide values are rounded to 24 significant bits in integer arithmetic.
    """
    if -9007199254740992 <= n <= 9007199254740992:
        return f32_round(float(n))
    m = -n if n < 0 else n
    shift = m.bit_length() - 24
    q = m >> shift
    rest = m & ((1 << shift) - 1)
    half = 1 << (shift - 1)
    if rest > half or (rest == half and q & 1):
        q += 1
    r = float(q << shift)  # at most 25 significant bits and below 2**65: exact
    return -r if n < 0 else r


def f_quiet(x: float) -> float:
    """A NaN with its quiet bit set, sign and payload kept (same bit for f32 and f64)."""
    return _unpack_d(_pack_Q(_unpack_Q(_pack_d(x))[0] | _QUIET64))[0]


def f_div_zero(a: float, b: float) -> float:
    """a / b for b = +-0.0, where Python raises ZeroDivisionError instead of IEEE."""
    if a != a:
        return f_quiet(a)
    if a == 0.0:
        return _NAN
    return _INF if (_copysign(1.0, a) > 0.0) == (_copysign(1.0, b) > 0.0) else -_INF


def f_min(a: float, b: float) -> float:
    """fmin: NaN if either is NaN, and -0.0 is below +0.0."""
    if a < b:
        return a
    if b < a:
        return b
    if a == b:
        return b if a else (a if _copysign(1.0, a) < 0.0 else b)
    return a + b  # at least one NaN: the hardware sum is a quiet propagated NaN


def f_max(a: float, b: float) -> float:
    """fmax: NaN if either is NaN, and +0.0 is above -0.0."""
    if a > b:
        return a
    if b > a:
        return b
    if a == b:
        return b if a else (a if _copysign(1.0, a) > 0.0 else b)
    return a + b


def f_sqrt(x: float) -> float:
    if x >= 0.0:  # includes -0.0 (sqrt(-0.0) is -0.0) and +inf
        return _sqrt(x)
    return f_quiet(x) if x != x else _NAN


# Rounding to integral: from 2**52 = 4503599627370496 on, every double is an integer
# (and so are infinities); below it the result is computed exactly through an int.

def f_ceil(x: float) -> float:
    if -4503599627370496.0 < x < 4503599627370496.0:
        r = float(_ceil(x))
        return r if r else _copysign(0.0, x)
    return x if x == x else f_quiet(x)


def f_floor(x: float) -> float:
    if -4503599627370496.0 < x < 4503599627370496.0:
        r = float(_floor(x))
        return r if r else _copysign(0.0, x)
    return x if x == x else f_quiet(x)


def f_trunc(x: float) -> float:
    if -4503599627370496.0 < x < 4503599627370496.0:
        r = float(int(x))
        return r if r else _copysign(0.0, x)
    return x if x == x else f_quiet(x)


def f_nearest(x: float) -> float:
    """Round to integral, ties to even (Python's round), keeping the sign of zero."""
    if -4503599627370496.0 < x < 4503599627370496.0:
        r = float(round(x))
        return r if r else _copysign(0.0, x)
    return x if x == x else f_quiet(x)


def trap_div_zero() -> int:
    """Raise the divide-by-zero trap; an expression-shaped way for inline templates."""
    raise Trap(DIVIDE_BY_ZERO)


def i32_div_s(a: int, b: int) -> int:
    if not b:
        raise Trap(DIVIDE_BY_ZERO)
    if a == 0x80000000 and b == _M32:
        raise Trap(OVERFLOW)
    a = (a ^ 0x80000000) - 0x80000000
    b = (b ^ 0x80000000) - 0x80000000
    q = abs(a) // abs(b)  # truncate toward zero, unlike Python's //
    return (-q if (a < 0) != (b < 0) else q) & _M32


def i32_rem_s(a: int, b: int) -> int:
    if not b:
        raise Trap(DIVIDE_BY_ZERO)
    a = (a ^ 0x80000000) - 0x80000000
    r = abs(a) % abs((b ^ 0x80000000) - 0x80000000)  # sign follows the dividend
    return (-r if a < 0 else r) & _M32


def i64_div_s(a: int, b: int) -> int:
    if not b:
        raise Trap(DIVIDE_BY_ZERO)
    if a == 0x8000000000000000 and b == _M64:
        raise Trap(OVERFLOW)
    a = (a ^ 0x8000000000000000) - 0x8000000000000000
    b = (b ^ 0x8000000000000000) - 0x8000000000000000
    q = abs(a) // abs(b)
    return (-q if (a < 0) != (b < 0) else q) & _M64


def i64_rem_s(a: int, b: int) -> int:
    if not b:
        raise Trap(DIVIDE_BY_ZERO)
    a = (a ^ 0x8000000000000000) - 0x8000000000000000
    r = abs(a) % abs((b ^ 0x8000000000000000) - 0x8000000000000000)
    return (-r if a < 0 else r) & _M64


def i32_ctz(x: int) -> int:
    return (x & -x).bit_length() - 1 if x else 32


def i64_ctz(x: int) -> int:
    return (x & -x).bit_length() - 1 if x else 64


def i32_rotl(x: int, k: int) -> int:
    k &= 31
    return ((x << k) | (x >> (32 - k))) & _M32


def i32_rotr(x: int, k: int) -> int:
    k &= 31
    return ((x >> k) | (x << (32 - k))) & _M32


def i64_rotl(x: int, k: int) -> int:
    k &= 63
    return ((x << k) | (x >> (64 - k))) & _M64


def i64_rotr(x: int, k: int) -> int:
    k &= 63
    return ((x >> k) | (x << (64 - k))) & _M64


# Trapping truncations. The bounds are the first values out of range on each side,
# all exact doubles (and so also right for f32 operands): for i32 the open interval
# (-2**31 - 1, 2**31); for i64 the lower bound -2**63 itself is in range and the
# next double below it is far out, hence <=.

def _bad_conversion(x: float) -> Trap:
    return Trap(INVALID_CONVERSION if x != x else OVERFLOW)


def i32_trunc_s(x: float) -> int:
    if -2147483649.0 < x < 2147483648.0:
        return int(x) & _M32
    raise _bad_conversion(x)


def i32_trunc_u(x: float) -> int:
    if -1.0 < x < 4294967296.0:
        return int(x)
    raise _bad_conversion(x)


def i64_trunc_s(x: float) -> int:
    if _I64_MIN_F <= x < 9223372036854775808.0:
        return int(x) & _M64
    raise _bad_conversion(x)


def i64_trunc_u(x: float) -> int:
    if -1.0 < x < 18446744073709551616.0:
        return int(x)
    raise _bad_conversion(x)


def i32_trunc_sat_s(x: float) -> int:
    if -2147483649.0 < x < 2147483648.0:
        return int(x) & _M32
    if x != x:
        return 0
    return 0x7FFFFFFF if x > 0.0 else 0x80000000


def i32_trunc_sat_u(x: float) -> int:
    if -1.0 < x < 4294967296.0:
        return int(x)
    return _M32 if x > 0.0 else 0  # NaN compares false: 0


def i64_trunc_sat_s(x: float) -> int:
    if _I64_MIN_F <= x < 9223372036854775808.0:
        return int(x) & _M64
    if x != x:
        return 0
    return 0x7FFFFFFFFFFFFFFF if x > 0.0 else 0x8000000000000000


def i64_trunc_sat_u(x: float) -> int:
    if -1.0 < x < 18446744073709551616.0:
        return int(x)
    return _M64 if x > 0.0 else 0


# The signed representation's helpers (``I64_SIGNED``): operands and results are
# ints in [-2**63, 2**63).

def s64_div_s(a: int, b: int) -> int:
    if not b:
        raise Trap(DIVIDE_BY_ZERO)
    if b == -1:
        if a == -_S64:
            raise Trap(OVERFLOW)
        return -a
    q = abs(a) // abs(b)  # truncate toward zero, unlike Python's //
    return -q if (a < 0) != (b < 0) else q


def s64_rem_s(a: int, b: int) -> int:
    if not b:
        raise Trap(DIVIDE_BY_ZERO)
    if b == -1:  # also -2**63 % -1, whose abs(a) would leave the machine word
        return 0
    r = abs(a) % abs(b)  # sign follows the dividend
    return -r if a < 0 else r


def s64_div_u(a: int, b: int) -> int:
    if b > 0 and a >= 0:
        return a // b
    if not b:
        raise Trap(DIVIDE_BY_ZERO)
    if b < 0:  # a divisor of 2**63 or more: the quotient is 0 or 1
        return 1 if (a ^ -_S64) >= (b ^ -_S64) else 0
    q = (a & _M64) // b
    return q - (1 << 64) if q >= _S64 else q


def s64_rem_u(a: int, b: int) -> int:
    if b > 0 and a >= 0:
        return a % b
    if not b:
        raise Trap(DIVIDE_BY_ZERO)
    r = (a & _M64) % (b & _M64)
    return r - (1 << 64) if r >= _S64 else r


def s64_rotl(x: int, k: int) -> int:
    k &= 63
    return _shl64(x, k) | _shr_u64(x, 64 - k) if k else x


def s64_rotr(x: int, k: int) -> int:
    return s64_rotl(x, -k)


def s64_to_bits(x: float) -> int:
    """The IEEE bits of an f64 as a signed i64."""
    return _unpack_q(_pack_d(x))[0]


def s64_from_bits(b: int) -> float:
    return _unpack_d(_pack_q(b))[0]
