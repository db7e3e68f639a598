"""Value-range facts for tier 1's expressions, and the cheaper forms they allow.

A fact is an upper bound on the bit length of an integer operand: the value is
exact, ``0 <= v < 2**bits``. Every wrapping template masks its result to the
type's width; a bound shows when the mask cannot change anything (the sum of two
bytes, a byte shifted left by 2), and a constant operand allows a compare
instead of a mask (``x + c`` wraps only when ``x >= 2**N - c``: comparing is
cheaper than masking an int that outgrew 30 bits). ``CONGRUENT`` marks an
expression its consumer masks (see ``templates.UNWRAPPED``): any integer
congruent to the value modulo ``2**N``, possibly negative. The bitwise
operations pass such operands on: their result is congruent to the exact one.
"""

from __future__ import annotations

import sys
from typing import Callable, Dict, Optional, Sequence, Tuple

from .templates import ABSORBS, I64_SIGNED, SCALAR, UNWRAPPED, Wrapped, render_unwrapped

CONGRUENT = 1 << 16
"""The 'bound' of an unmasked expression: not exact, only congruent to the value."""

WIDTHS = {"i32": 32} if I64_SIGNED else {"i32": 32, "i64": 64}
"""The types whose values these rules cover: unsigned ints (signed i64 values have
no rules; their bounds are those of results known to be non-negative)."""

BITWISE = {f"{t}.{op}" for t in WIDTHS for op in ("and", "or", "xor")}

SIGNED_LOADS = frozenset(f"{t}.load{w}_s" for t in WIDTHS for w in (8, 16, 32) if w < WIDTHS[t])
"""Loads that extend a sign: the signed item itself is congruent to their value."""

MAY_GO_UNMASKED = frozenset(UNWRAPPED) | BITWISE | SIGNED_LOADS | {
    f"{t}.{op}" for t in WIDTHS for op in ("rotl", "rotr", "div_s", "rem_s")}
"""Operations whose result ``render`` (or ``render_rotate``, by a constant, or a
signed load) may leave ``CONGRUENT`` when the consumer masks it."""

_FIXED = {"eqz": 1, "eq": 1, "ne": 1, "lt_u": 1, "lt_s": 1, "gt_u": 1, "gt_s": 1,
          "le_u": 1, "le_s": 1, "ge_u": 1, "ge_s": 1, "clz": 7, "ctz": 7, "popcnt": 7}
"""Results with a bound of their own (i32 and i64 alike), by operation."""

LOAD_BITS = {"i32.load": 32, "i32.load8_s": 32, "i32.load16_s": 32,
             "i32.load8_u": 8, "i64.load8_u": 8, "i32.load16_u": 16, "i64.load16_u": 16,
             "i64.load32_u": 32}
"""Integer loads whose result has a bound (the others: i64's width)."""

Scratch = Callable[[str], Tuple[str, str]]
"""Binds an operand read twice: ``(first use, later uses)`` (a walrus and its name
for an expression, the operand itself for a name or literal)."""


def accepts_congruent(consumer: str, position: int) -> bool:
    """Whether ``consumer``'s operand ``position`` may be a ``CONGRUENT`` expression."""
    return consumer in BITWISE or position in ABSORBS.get(consumer, (0, ()))[1]


def _mask(n: int) -> str:
    return f"0x{(1 << n) - 1:X}"


Span = Optional[Tuple[int, int]]
"""An exact operand's interval ``(lo, hi)``, when known (from ``engine.intervals``)."""


def render(name: str, ops: Sequence[str], bits: Sequence[Optional[int]], consts: Sequence[Optional[int]],
           congruent_ok: bool, scratch: Scratch, spans: Sequence[Span] = ()) -> Optional[Tuple[str, int]]:
    """A cheaper expression (an atom) for integer instruction ``name`` than its
    template, with the result's bound; None when the template is as good (then
    ``result_bits`` bounds it). ``ops`` are the operand expressions, ``bits``
    their bounds (None: only the type's width), ``consts`` their values if constant, ``spans``
    their intervals if known; ``congruent_ok`` says the consumer masks (the result may be
    ``CONGRUENT``)."""
    t, _, op = name.partition(".")
    n = WIDTHS.get(t)
    if n is None or op not in _RULES and op not in _FITS:
        return None
    if op in _FITS:
        return _narrow(_FITS[op], ops[0], bits[0])
    full = [n if b is None else b for b in bits]
    out = _RULES[op](n, name, ops, full, consts, congruent_ok, scratch, spans or (None,) * len(ops))
    if out is None or any(out[0] is x for x in ops):
        return out
    return Wrapped(out[0]), out[1]  # (every form a rule writes is wholly parenthesised)


def result_bits(name: str, bits: Sequence[Optional[int]]) -> Optional[int]:
    """The bound of ``name``'s template result (None if not an integer)."""
    t, _, op = name.partition(".")
    if t not in _INTEGERS:
        return None
    if op in _FIXED:
        return _FIXED[op]
    if op in ("wrap_i64", "extend_i32_u"):
        return 32 if bits[0] is None else min(bits[0], 32)
    return WIDTHS.get(t)


_INTEGERS = ("i32", "i64")


def low_zeros(name: str, zeros: Sequence[int], consts: Sequence[Optional[int]]) -> int:
    """How many low bits of integer instruction ``name``'s result are known to be
    zero, from its operands' (an address with as many as its access's alignment
    needs no alignment check). Masks and wrapping keep low bits."""
    n = WIDTHS.get(name[:3], 0)
    op = name[4:]
    if op in ("add", "sub", "or", "xor"):
        return min(zeros)
    if op == "and":
        return max(zeros)
    if op == "mul":
        return min(zeros[0] + zeros[1], n)
    if op == "shl" and consts[1] is not None:
        return min(zeros[0] + (consts[1] & (n - 1)), n)
    return 0


def _add(n, name, ops, bits, consts, congruent_ok, scratch, spans):  # type: ignore[no-untyped-def]
    if max(bits) < n:
        return f"({ops[0]} + {ops[1]})", max(bits) + 1
    for x, c in ((0, consts[1]), (1, consts[0])):
        if c is not None and spans[x] is not None:
            decided = _known_wrap(n, ops[x], c, spans[x])
            if decided is not None:
                return decided
    for x, c in ((0, consts[1]), (1, consts[0])):
        if c is not None and (congruent_ok or bits[x] > n):  # (> n: a congruent operand)
            return _small_constant(n, ops[x], c, congruent_ok)
    if congruent_ok:
        return render_unwrapped(name, *ops), CONGRUENT
    for x, c in ((0, consts[1]), (1, consts[0])):
        if c is not None:
            return _plus_constant(n, ops[x], c, scratch)
    for x in (0, 1):  # a 0 or 1 (C's ``hits += k == n``, mostly 0): tested first, no sum for a 0
        other = ops[1 - x]  # (in both arms: one of them runs)
        if bits[x] <= 1 < bits[1 - x] <= n and len(other) <= SMALL_ADDEND_TEXT:
            first, again = scratch(other)
            return f"(({again} + 1 if {first} < {_mask(n)} else 0) if {ops[x]} else {other})", n
    for x in (0, 1):  # a small addend: a compare, cheaper than a mask
        y = ops[x]  # (in both arms: one of them runs, after the compare)
        if bits[x] <= SMALL_ADDEND < bits[1 - x] <= n and len(y) <= SMALL_ADDEND_TEXT:
            first, again = scratch(ops[1 - x])
            limit = (1 << n) - (1 << bits[x]) + 1
            return f"({again} + {y} if {first} < {limit} else ({again} + {y}) & {_mask(n)})", n
    return None


SMALL_ADDEND = 16
"""The bound up to which a value added to another is small enough that a compare
of the other (``x + y if x < 2**32 - 2**16 + 1``) spares the sum's mask."""

SMALL_ADDEND_TEXT = 60
"""The longest small addend written twice, once in each arm of that compare."""


def _small_constant(n: int, x: str, c: int, congruent_ok: bool) -> Optional[Tuple[str, int]]:
    """``x + c`` modulo ``2**n`` for an ``x`` that is only congruent (or whose
    consumer masks), with ``c`` as its representative of least magnitude: a
    constant from ``2**(n-1)`` on (C's ``x - 8``, ``(u8)(c - 'a')``) is
    subtracted, ``x - 8`` rather than ``x + 4294967288``, which would make every
    sum an int of two 30-bit digits. None: the template is as good."""
    if c < 1 << (n - 1):
        return (render_unwrapped(f"i{n}.add", x, str(c)), CONGRUENT) if congruent_ok else None
    expr = f"({x} - {(1 << n) - c})"
    return (expr, CONGRUENT) if congruent_ok else (f"({expr} & {_mask(n)})", n)


def _known_wrap(n: int, x: str, c: int, span: Tuple[int, int]) -> Optional[Tuple[str, int]]:
    """``x + c`` modulo ``2**n`` when ``x``'s interval ``span`` shows that it never
    wraps or always does (None: it may or may not)."""
    limit = (1 << n) - c
    if span[1] < limit:
        return f"({x} + {c})", (span[1] + c).bit_length()
    if span[0] >= limit:
        return f"({x} - {limit})", (span[1] - limit).bit_length()
    return None


def _plus_constant(n: int, x: str, c: int, scratch: Scratch) -> Tuple[str, int]:
    """``x + c`` modulo ``2**n`` by a compare: it wraps only from ``2**n - c`` on."""
    if c == 0:
        return x, n
    first, again = scratch(x)
    limit = (1 << n) - c
    return f"({again} + {c} if {first} < {limit} else {again} - {limit})", n


def _sub(n, name, ops, bits, consts, congruent_ok, scratch, spans):  # type: ignore[no-untyped-def]
    c = consts[1]
    if c is not None and spans[0] is not None:
        decided = _known_wrap(n, ops[0], -c % (1 << n), spans[0])
        if decided is not None:
            return decided
    if c is not None and (congruent_ok or bits[0] > n):
        return _small_constant(n, ops[0], -c % (1 << n), congruent_ok)
    if congruent_ok:
        return render_unwrapped(name, *ops), CONGRUENT
    if c is not None:
        return _plus_constant(n, ops[0], -c % (1 << n), scratch)
    return None


def _mul(n, name, ops, bits, consts, congruent_ok, scratch, spans):  # type: ignore[no-untyped-def]
    if bits[0] + bits[1] <= n:
        return f"({ops[0]} * {ops[1]})", bits[0] + bits[1]
    if congruent_ok:
        return render_unwrapped(name, *ops), CONGRUENT
    return None


def _shl(n, name, ops, bits, consts, congruent_ok, scratch, spans):  # type: ignore[no-untyped-def]
    c = consts[1]
    if c is None:
        if bits[1] < n.bit_length():  # a count known below n: no ``& (n - 1)``
            expr = f"({ops[0]} << {ops[1]})"
            if bits[0] + (1 << bits[1]) - 1 <= n:
                return expr, bits[0] + (1 << bits[1]) - 1
            return (expr, CONGRUENT) if congruent_ok else (f"({expr} & {_mask(n)})", n)
        return (render_unwrapped(name, *ops), CONGRUENT) if congruent_ok else None
    k = c & (n - 1)
    if bits[0] + k <= n:
        return f"({ops[0]} << {k})", bits[0] + k
    if congruent_ok:
        return f"({ops[0]} << {k})", CONGRUENT
    return f"(({ops[0]} << {k}) & {_mask(n)})", n


def _shr_u(n, name, ops, bits, consts, congruent_ok, scratch, spans):  # type: ignore[no-untyped-def]
    c = consts[1]
    if c is None:
        return (f"({ops[0]} >> {ops[1]})", bits[0]) if bits[1] < n.bit_length() else None
    k = c & (n - 1)
    return (f"({ops[0]} >> {k})" if k else ops[0]), max(bits[0] - k, 0)


def _shr_s(n, name, ops, bits, consts, congruent_ok, scratch, spans):  # type: ignore[no-untyped-def]
    if bits[0] < n:  # the sign bit is clear: the unsigned shift
        return _shr_u(n, name, ops, bits, consts, congruent_ok, scratch, spans)
    c = consts[1]
    if c is None:
        return None
    k = c & (n - 1)
    if k == 0:
        return ops[0], bits[0]
    # a negative value (sign bit set) shifts ones in: they are the top k bits
    mask, sign = (1 << n) - 1, 1 << (n - 1)
    if k == n - 1:
        return f"({mask} if {ops[0]} >= {sign} else 0)", n
    first, again = scratch(ops[0])
    return f"({again} >> {k} | {mask ^ (mask >> k)} if {first} >= {sign} else {again} >> {k})", n


def _bitwise(n, name, ops, bits, consts, congruent_ok, scratch, spans):  # type: ignore[no-untyped-def]
    op = name[4:]
    if op == "and":  # a mask of low bits the other operand already fits in: no-op
        for x, c in ((0, consts[1]), (1, consts[0])):
            if c is not None and not c & (c + 1) and bits[x] <= c.bit_length():
                return ops[x], bits[x]
    expr = f"({ops[0]} {_PY_BITWISE[op]} {ops[1]})"
    if CONGRUENT not in bits:
        return expr, (min(bits) if op == "and" else max(bits))
    if op == "and":  # by a constant: the result is as small as the constant, exact
        for x, c in ((0, consts[1]), (1, consts[0])):
            if c is not None:
                return expr, c.bit_length()
    if congruent_ok:
        return expr, CONGRUENT
    return f"({expr} & {_mask(n)})", n


_PY_BITWISE = {"and": "&", "or": "|", "xor": "^"}


def _div_rem_u(n, name, ops, bits, consts, congruent_ok, scratch, spans):  # type: ignore[no-untyped-def]
    c = consts[1]
    rem = name.endswith("rem_u")
    if c is None and spans[1] is not None and spans[1][0] > 0:  # a variable divisor known nonzero
        return (f"({ops[0]} % {ops[1]})", bits[1]) if rem else (f"({ops[0]} // {ops[1]})", bits[0])
    if not c:  # a variable divisor, or zero (the template traps)
        return None
    if c & (c - 1) == 0:  # a power of two
        k = c.bit_length() - 1
        if rem:
            return f"({ops[0]} & {c - 1})", min(bits[0], k)
        return (f"({ops[0]} >> {k})" if k else ops[0]), max(bits[0] - k, 0)
    if rem:
        return f"({ops[0]} % {c})", min(bits[0], c.bit_length())
    return f"({ops[0]} // {c})", max(bits[0] - c.bit_length() + 1, 0)


def _div_rem_s(n, name, ops, bits, consts, congruent_ok, scratch, spans):  # type: ignore[no-untyped-def]
    """By a constant other than 0 and -1 (which may trap): the quotient or remainder
    of the magnitudes, its sign put back; no helper call."""
    c = consts[1]
    top = 1 << n
    if not c or c == top - 1:
        return None
    d = c if c < top >> 1 else top - c  # the divisor's magnitude
    rem = name.endswith("rem_s")
    py = "%" if rem else "//"
    flip = not rem and c >= top >> 1  # the quotient of a non-negative dividend is negative
    if bits[0] < n:  # a non-negative dividend
        expr = f"({ops[0]} {py} {d})"
        if not flip:
            return expr, bits[0]
        return (f"(-{expr})", CONGRUENT) if congruent_ok else (f"(-{expr} & {_mask(n)})", n)
    first, again = scratch(ops[0])
    pos, neg = f"{again} {py} {d}", f"({top} - {again}) {py} {d}"  # (neg: of the magnitude)
    pos, neg = (f"-({pos})", neg) if flip else (pos, f"-({neg})")
    if not congruent_ok:
        pos, neg = (f"{pos} & {_mask(n)}", neg) if flip else (pos, f"{neg} & {_mask(n)}")
    return f"({pos} if {first} < {top >> 1} else {neg})", CONGRUENT if congruent_ok else n


SPREADS = frozenset(("i32.shr_s", "i32.sub", "i32.and"))
"""The operations ``spread`` may turn into a conditional expression."""

SPREAD_BY_BRANCH = sys.implementation.name == "cpython"
"""How ``spread`` writes a spread bit: ``(m if cond else 0)`` (CPython: 42-52 ns
against 66-82 for ``-bit & m`` in a timeit), or without a branch, ``(-(x >> 1 &
1) & m)`` (PyPy, whose JIT pays for a branch on data: crc's tier 1 1.51 ms a call
against 2.83 ms with the conditional)."""


def spread(name: str, ops: Sequence[str], bits: Sequence[Optional[int]], consts: Sequence[Optional[int]],
           signs: Dict[str, Tuple[str, str]], spreads: Dict[str, Tuple[str, str, int]]) -> Optional[Tuple[str, int]]:
    """An i32 value that is all ones or zero by one bit, and a constant mask of it,
    as ``(m if cond else 0)`` or ``(-bit & m)`` (``SPREAD_BY_BRANCH``; C's branchless
    ``-(x & 1) & POLY`` and ``(int)(x << 30) >> 31 & POLY``): ``(POLY if x & 2 else
    0)``, small ints, where the templates shift ``x`` into a 62-bit int, mask and
    compare it. ``signs`` maps an expression to ``(cond, bit)``, a test of its bit
    31 and that bit as 0 or 1 (a shift left's: the bit of its operand that lands
    there, any congruent operand alike); ``spreads`` maps the expressions this made
    to ``(cond, bit, m)``, and gains the new one."""
    mask = 0xFFFFFFFF
    if name == "i32.shr_s" and consts[1] is not None and consts[1] & 31 == 31:
        (cond, bit), m = signs.get(ops[0], (f"{ops[0]} >= 2147483648", f"({ops[0]} >> 31)")), mask
    elif name == "i32.sub" and consts[0] == 0 and bits[1] is not None and bits[1] <= 1:
        cond, bit, m = ops[1], ops[1], mask  # 0 - y, y 0 or 1
    elif name == "i32.and":
        found = [(spreads[ops[x]], c) for x, c in ((0, consts[1]), (1, consts[0]))
                 if c is not None and ops[x] in spreads]
        if not found:
            return None
        (cond, bit, m), c = found[0]
        m &= c
    else:
        return None
    expr = f"({m} if {cond} else 0)" if SPREAD_BY_BRANCH else f"(-{bit} & {m})"
    spreads[expr] = (cond, bit, m)
    return expr, m.bit_length()


SCALES = ("i32.shl", "i32.add", "i32.sub")
"""The operations ``scaled`` recognises."""


def scaled(name: str, ops: Sequence[str], consts: Sequence[Optional[int]], expr: str,
           known: Dict[str, Tuple[int, str, bool]]) -> Optional[Tuple[int, str, bool]]:
    """``(k, x, wrapped)`` such that ``expr``, the rendering of ``name`` (one of
    ``SCALES``), equals ``x << k`` as Python ints (``wrapped``: ``(x << k) mod 2**32``):
    a shift by a constant, or a sum of such an expression (``known`` maps them to
    their forms) and a constant multiple of ``2**k``. An aligned access through a
    view indexes with ``x + (c >> k)`` rather than shifting the address back (when
    wrapped, ``(x + (c >> k)) & (2**(32 - k) - 1)``: C's ``a[i]`` on an i32 index
    whose sum may wrap, still no shift, and small ints throughout)."""
    if name == "i32.shl":
        k = consts[1] & 31 if consts[1] is not None else 0
        if k and expr == f"({ops[0]} << {k})":
            return k, ops[0], False
        wrapped_forms = (f"(({ops[0]} << {k}) & 0xFFFFFFFF)", SCALAR[name].render(ops[0], ops[1]))
        return (k, ops[0], True) if k and expr in wrapped_forms else None
    wrapped = name == "i32.add" and expr == SCALAR[name].render(ops[0], ops[1])
    if wrapped or expr == f"({ops[0]} + {ops[1]})":
        for x, y in ((0, 1), (1, 0)):
            form, c = known.get(ops[x]), consts[y]
            if form is not None and c is not None and c >= 0 and not c & ((1 << form[0]) - 1) \
                    and (wrapped or not form[2]):
                return form[0], f"({form[1]} + {c >> form[0]})", wrapped
    # a sum known not to wrap, or to wrap always (``_known_wrap``), or masked with
    # its constant subtracted (``_small_constant``), by a constant multiple of
    # ``2**k`` (a difference: its negation)
    top = 1 << 32
    steps = ((0, consts[1]), (1, consts[0])) if name == "i32.add" else \
        ((0, None if consts[1] is None else -consts[1] % top),)
    for x, c in steps:
        form = known.get(ops[x])
        if form is None or c is None or c % (1 << form[0]):
            continue
        k = form[0]
        if expr == f"(({ops[x]} - {top - c}) & 0xFFFFFFFF)":
            return k, f"({form[1]} - {(top - c) >> k})", True
        if form[2]:
            continue
        if expr == f"({ops[x]} + {c})":
            return k, f"({form[1]} + {c >> k})", False
        if expr == f"({ops[x]} - {top - c})":
            return k, f"({form[1]} - {(top - c) >> k})", False
    return None


_FITS = {"wrap_i64": 32, "extend_i32_u": 64, "extend_i32_s": 31,
         "extend8_s": 7, "extend16_s": 15, "extend32_s": 31}
"""Narrowing and extending operations: the bound up to which they change nothing."""


def _narrow(fits: int, x: str, bits: Optional[int]) -> Optional[Tuple[str, int]]:
    if bits is not None and bits <= fits:
        return x, bits
    return None


_RULES: Dict[str, Callable[..., Optional[Tuple[str, int]]]] = {
    "add": _add, "sub": _sub, "mul": _mul, "shl": _shl, "shr_u": _shr_u, "shr_s": _shr_s,
    "and": _bitwise, "or": _bitwise, "xor": _bitwise, "div_u": _div_rem_u, "rem_u": _div_rem_u,
    "div_s": _div_rem_s, "rem_s": _div_rem_s,
}
