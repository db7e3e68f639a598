"""Numeric literals of the text format, parsed exactly.

Floats are read as exact rationals and rounded once, to nearest with ties to
even, straight into the target format: going through Python's ``float`` would
round twice for ``f32`` and get halfway cases wrong. Every function returns
``None`` when the text is not a literal of the wanted kind, and raises
``OutOfRange`` when it is one but its value does not fit.
"""

from __future__ import annotations

import re
import struct
from typing import Optional, Tuple

_DEC = r"[0-9](?:_?[0-9])*"
_HEX = r"[0-9a-fA-F](?:_?[0-9a-fA-F])*"
_INT = re.compile(rf"([+-]?)(?:0x({_HEX})|({_DEC}))")
_FLOAT = re.compile(
    rf"""([+-]?)(?:
        0x(?P<hm>{_HEX})(?:\.(?P<hf>{_HEX})?)?(?:[pP](?P<he>[+-]?{_DEC}))?
      | (?P<dm>{_DEC})(?:\.(?P<df>{_DEC})?)?(?:[eE](?P<de>[+-]?{_DEC}))?
      | (?P<inf>inf)
      | nan(?::0x(?P<payload>{_HEX}))?(?P<nan>)
    )""",
    re.VERBOSE,
)


_MAX_INT_DIGITS = 40  # more than any 128-bit value needs, in either base
_KEEP_DEC = 800  # decimal digits that can decide a rounding (binary64 needs 767)
_KEEP_HEX = 40  # hex digits likewise (binary64 needs 14)

_INF = float("inf")
_DOUBLE = struct.Struct("<d")
_SINGLE = struct.Struct("<f")
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")


class OutOfRange(Exception):
    """A well-formed literal whose value does not fit its type."""


class Format:
    """An IEEE 754 binary format: significand bits (without the hidden bit), exponent bits."""

    def __init__(self, mant: int, exp: int) -> None:
        self.mant = mant
        self.exp = exp
        self.bias = (1 << (exp - 1)) - 1
        self.emin = 1 - self.bias
        self.emax = self.bias
        self.sign_bit = 1 << (mant + exp)
        self.inf = ((1 << exp) - 1) << mant
        self.quiet = 1 << (mant - 1)


F32 = Format(23, 8)
F64 = Format(52, 11)


def parse_uint(text: str, bits: int) -> Optional[int]:
    """An unsigned literal (no sign allowed), as used for indices, offsets and limits."""
    m = _INT.fullmatch(text)
    if m is None or m.group(1):
        return None
    value = _int_digits(m)
    if value >= 1 << bits:
        raise OutOfRange
    return value


def parse_int(text: str, bits: int) -> Optional[int]:
    """An integer literal for an ``iN`` constant: signed or unsigned, returned signed."""
    m = _INT.fullmatch(text)
    if m is None:
        return None
    value = _int_digits(m)
    if m.group(1) == "-":
        if value > 1 << (bits - 1):
            raise OutOfRange
        return -value
    if value >= 1 << bits:
        raise OutOfRange
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


def _int_digits(m: "re.Match[str]") -> int:
    """The literal's magnitude; one too long for any integer type raises at once
    (``int`` refuses decimal strings over 4300 digits, and is quadratic anyway)."""
    hexdigits, decdigits = m.group(2), m.group(3)
    if hexdigits is not None:
        digits = hexdigits.replace("_", "").lstrip("0")
        base = 16
    else:
        digits = decdigits.replace("_", "").lstrip("0")
        base = 10
    if len(digits) > _MAX_INT_DIGITS:
        raise OutOfRange
    return int(digits or "0", base)


def parse_float(text: str, fmt: Format) -> Optional[int]:
    """A float literal, as the raw bits of format ``fmt``."""
    m = _FLOAT.fullmatch(text)
    if m is None:
        return None
    sign = fmt.sign_bit if m.group(1) == "-" else 0
    if m.group("inf") is not None:
        return sign | fmt.inf
    if m.group("nan") is not None:
        payload = m.group("payload")
        if payload is None:
            return sign | fmt.inf | fmt.quiet
        p = int(payload.replace("_", ""), 16)
        if not 1 <= p < 1 << fmt.mant:
            raise OutOfRange
        return sign | fmt.inf | p
    fast = _via_double(m, fmt)
    if fast is not None:
        return sign | fast
    if m.group("hm") is not None:
        digits = (m.group("hm") + (m.group("hf") or "")).replace("_", "")
        exp2 = _exponent(m.group("he")) - 4 * len((m.group("hf") or "").replace("_", ""))
        digits, dropped = _significant(digits, _KEEP_HEX)
        return sign | _round(int(digits or "0", 16), 1, exp2 + 4 * dropped, fmt)
    frac = (m.group("df") or "").replace("_", "")
    digits = (m.group("dm").replace("_", "") + frac).lstrip("0")
    exp10 = _exponent(m.group("de")) - len(frac)
    if not digits:
        return sign
    digits, dropped = _significant(digits, _KEEP_DEC)
    exp10 += dropped
    # Bound the magnitude first, so that huge exponents cost nothing: the value
    # lies in [10**(n-1+exp10), 10**(n+exp10)) for n significant digits.
    n = len(digits)
    if n - 1 + exp10 > 400:
        raise OutOfRange
    if n + exp10 < -400:
        return sign
    mant = int(digits)
    if exp10 >= 0:
        return sign | _round(mant * 10**exp10, 1, 0, fmt)
    return sign | _round(mant, 10**-exp10, 0, fmt)


def _via_double(m: "re.Match[str]", fmt: Format) -> Optional[int]:
    """The common case, fast: the magnitude's bits via Python's correctly rounded
    ``float``, or None when only the exact path can tell (overflow, and f32
    values that the first rounding put exactly halfway between two f32s)."""
    text = m.group()[len(m.group(1)):].replace("_", "")
    try:
        d = float.fromhex(text) if m.group("hm") is not None else float(text)
    except OverflowError:
        return None
    if d == _INF:
        return None
    if fmt is F64:
        return _U64.unpack(_DOUBLE.pack(d))[0]
    try:
        packed = _SINGLE.pack(d)
    except OverflowError:
        return None
    bits = _U32.unpack(packed)[0]
    y = _SINGLE.unpack(packed)[0]
    if y == d:
        return bits
    if bits >= 0x7F7FFFFF:  # a neighbour would be infinite
        return None
    neighbour = _SINGLE.unpack(_U32.pack(bits + 1 if d > y else bits - 1))[0]
    if (y + neighbour) / 2 == d:
        return None
    return bits


def _exponent(text: Optional[str]) -> int:
    """A decimal exponent, clamped far beyond any format's range."""
    if text is None:
        return 0
    text = text.replace("_", "")
    sign = -1 if text[0] == "-" else 1
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > 6:  # int() would refuse a long enough one
        return sign * 100000
    return max(-100000, min(100000, sign * int(digits or "0")))


def _significant(digits: str, keep: int) -> Tuple[str, int]:
    """``digits`` cut to ``keep`` significant ones plus a sticky nonzero digit if
    anything nonzero was cut, and how many places were dropped: the value's
    rounding is unchanged, and the exact arithmetic stays small."""
    digits = digits.lstrip("0")
    if len(digits) <= keep:
        return digits, 0
    head, tail = digits[:keep], digits[keep:]
    if tail.strip("0"):
        return head + "1", len(tail) - 1
    return head, len(tail)


def _round(num: int, den: int, exp2: int, fmt: Format) -> int:
    """Bits of the positive value ``num / den * 2**exp2`` rounded to ``fmt``."""
    if num == 0:
        return 0
    # Exponent e with 2**e <= value < 2**(e+1).
    e = num.bit_length() - den.bit_length() + exp2
    if _scaled_compare(num, den, exp2 - e) < 0:
        e -= 1
    if e < fmt.emin:
        e = fmt.emin
    if e > fmt.emax:
        raise OutOfRange
    # Significand n = value / 2**(e - mant), rounded to nearest, ties to even.
    shift = exp2 - (e - fmt.mant)
    if shift >= 0:
        num <<= shift
    else:
        den <<= -shift
    n, r = divmod(num, den)
    twice = 2 * r
    if twice > den or (twice == den and n & 1):
        n += 1
    if n >> (fmt.mant + 1):
        n >>= 1
        e += 1
        if e > fmt.emax:
            raise OutOfRange
    if n >> fmt.mant == 0:  # subnormal (or zero): only when e == emin
        return n
    return ((e + fmt.bias) << fmt.mant) | (n - (1 << fmt.mant))


def _scaled_compare(num: int, den: int, exp2: int) -> int:
    """Sign of ``num / den * 2**exp2 - 1``."""
    if exp2 >= 0:
        a, b = num << exp2, den
    else:
        a, b = num, den << -exp2
    return (a > b) - (a < b)

