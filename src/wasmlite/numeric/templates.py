"""The scalar numeric instructions as Python expression templates, keyed by ``Op.name``.

A template is written once and serves both tiers: the tier-1 code generator splices
it into generated source (``Template.render``), and the tier-0 interpreter calls the
function ``evaluator`` compiles from it. Cheap operations are inline expressions
(they are the hot path; a call costs more than the operation), the rest call the
helpers of ``scalar``.

Conventions every template follows:

* ``{0}``, ``{1}`` stand for the operands. ``render`` parenthesises any operand that
  is not an atom (a name, an integer literal but where an attribute is read from it,
  or a rendering), so templates may treat operands as atoms
  (``{0}.bit_length()``, ``-{0}``) and operands may be arbitrary expressions.
* The rendered expression is itself an atom (a call or fully parenthesised), so a
  template's output may be an operand of another; its type (``Atom``, ``Wrapped``)
  says so, and spares it a second pair of parentheses there.
* Operands that occur more than once are listed in ``dup_operands``: evaluating
  them twice is correct (operands have no side effects) but wasteful, so a code
  generator should bind such an operand to a local first unless it is a name or a
  constant.
* An operand that occurs once is evaluated unconditionally, before the template
  can trap: tier 1 splices a producer's expression into its consumer's, and a
  producer that traps (``i64.trunc_f32_s``) must trap before its consumer
  (``i64.div_u`` by zero) does.
* Comparisons and ``eqz`` also have ``cond``: a plain boolean expression for an
  ``if`` head, so compare-and-branch needs no 0/1 value.
* An instruction with an immediate (the SIMD lane and shuffle instructions) has
  named fields, ``{shift}``, computed from the immediate by ``fields_of``: tier 1
  renders them as literals, tier 0 as names bound in the handler's closure.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Tuple

from . import scalar

class _Helpers(Dict[str, object]):
    """Helpers by name. Generated ones (``simd``'s lane helpers) are registered as
    source and compiled when first looked up: compiling them all costs ~12 ms, and
    most modules use none of them. Membership and iteration see every name."""

    def __init__(self, items: Dict[str, object]) -> None:
        super().__init__(items)
        self._sources: Dict[str, Tuple[str, Dict[str, Any]]] = {}

    def generated(self, name: str, source: str, namespace: Dict[str, Any]) -> None:
        """Register helper ``name``, defined by ``source`` run in ``namespace``."""
        assert name not in self, name
        self._sources[name] = (source, namespace)
        dict.__setitem__(self, name, None)

    def __getitem__(self, name: str) -> object:
        fn = dict.__getitem__(self, name)
        if fn is None:
            source, namespace = self._sources.pop(name)
            exec(compile(source, f"<wasmlite.numeric {name}>", "exec"), namespace)
            fn = namespace[name]
            dict.__setitem__(self, name, fn)
        return fn

    def get(self, name: str, default: object = None) -> object:  # type: ignore[override]
        return self[name] if name in self else default


HELPERS = _Helpers({**{name: getattr(scalar, name) for name in scalar.__all__},
                    **{f"w64_{op}": fn for op, fn in scalar.WORD_OPS.items()}})
"""Every helper a template may reference, by the name it is referenced with (the
scalar ones, PyPy's word operations as ``w64_<op>``; ``simd`` registers its
lane-wise helpers on import)."""

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"\{(\d)\}")
_FIELD = re.compile(r"\{([a-z_]+)\}")


class Atom(str):
    """A rendered template that is a call (or an attribute's): an operand as it is."""

    __slots__ = ()


class Wrapped(Atom):
    """A rendered template that is wholly parenthesised (every template not a call
    is, by the convention above): ``unwrapped`` drops the parentheses where any
    expression may stand. Only the type says so: telling ``(a) + (b)`` from
    ``(a + b)`` from the text is a scan, which costs what ``compile()`` saves."""

    __slots__ = ()


def _place(operand: str, attribute: bool) -> str:
    """``operand`` as an atom: a rendered template or a name as it is, an integer
    literal too unless an attribute is read from it (``{0}.bit_length()``; ``-5``
    parses as ``-(5)`` does), anything else parenthesised."""
    if isinstance(operand, Atom) or _IDENT.match(operand) or not attribute and operand.isdigit():
        return operand
    return "(" + operand + ")"


def unwrapped(expr: str) -> str:
    """``expr`` without the parentheses of a ``Wrapped`` rendering, for a place that
    takes any expression (an assignment's right-hand side): fewer tokens to compile."""
    return expr[1:-1] if type(expr) is Wrapped else expr


_PAREN = re.compile(r"[()]")


def _kind(expr: str) -> Optional[type]:
    """The type a template's rendering gets: ``Wrapped`` if its first parenthesis
    closes at its end, else ``Atom`` (a call: ``(x & M).bit_count()`` on PyPy's signed
    i64 is one), but None (a plain ``str``) for ``{0}``, whose rendering is its operand."""
    if expr == "{0}":
        return None
    depth = 0
    for m in _PAREN.finditer(expr):
        depth += 1 if m.group() == "(" else -1
        if depth == 0:
            return Wrapped if m.end() == len(expr) and expr[0] == "(" else Atom
    return Atom


_UNDECIDED = object()


class Template:
    """How to compute one instruction as a Python expression."""

    __slots__ = ("name", "expr", "cond", "arity", "helpers", "dup_operands", "may_trap",
                 "fields", "fields_of", "kind", "attribute")

    def __init__(self, name: str, expr: str, cond: Optional[str], may_trap: bool,
                 fields_of: Optional[Callable[[Any], Dict[str, Any]]] = None) -> None:
        self.name = name
        self.expr = expr
        self.cond = cond
        placeholders = _PLACEHOLDER.findall(expr)
        self.arity = len(set(placeholders))
        self.helpers: FrozenSet[str] = frozenset(n for n in _NAME.findall(expr) if n in HELPERS)
        self.dup_operands: Tuple[int, ...] = tuple(
            sorted({int(i) for i in placeholders if placeholders.count(i) > 1}))
        self.may_trap = may_trap
        self.fields: Tuple[str, ...] = tuple(sorted(set(_FIELD.findall(expr))))
        self.fields_of = fields_of
        assert bool(self.fields) == (fields_of is not None), name
        self.kind: Any = _UNDECIDED  # (``_kind``, at the first rendering: ~3 us a template)
        # (``{0}``: its rendering is the operand, an atom even for an attribute)
        self.attribute = expr == "{0}" or "}." in expr or cond is not None and "}." in cond

    def render(self, *operands: str, **fields: str) -> str:
        """The expression computing the result from operand expressions (and, for an
        instruction with an immediate, expressions for its ``fields``): an atom, typed
        ``Atom`` or ``Wrapped`` (see ``unwrapped``)."""
        a = self.attribute
        s = self.expr.format(*[_place(x, a) for x in operands], **fields)
        kind = self.kind
        if kind is _UNDECIDED:
            kind = self.kind = _kind(self.expr)
        return s if kind is None else kind(s)

    def render_cond(self, *operands: str) -> str:
        """The boolean expression for a branch on the result (``cond`` must be set)."""
        assert self.cond is not None, self.name
        a = self.attribute
        return self.cond.format(*[_place(x, a) for x in operands])

    def __repr__(self) -> str:
        return f"<Template {self.name}: {self.expr}>"


SCALAR: Dict[str, Template] = {}


def _add(name: str, expr: str, cond: Optional[str] = None, may_trap: bool = False) -> None:
    assert name not in SCALAR, name
    SCALAR[name] = Template(name, expr, cond, may_trap)


def _compare(name: str, cond: str) -> None:
    _add(name, f"(1 if {cond} else 0)", cond)


_POPCOUNT = "{0}.bit_count()" if hasattr(int, "bit_count") else 'bin({0}).count("1")'


def _compares_and_bitwise(t: str, flip: str, flipped: str) -> None:
    """The comparisons and bitwise operations of integer type ``t``: operands of the
    order named ``flipped`` ("s" or "u") are compared with their sign bit ``flip``
    flipped, which maps that order onto the one their representation has."""

    def order(i: int, sg: str) -> str:
        return f"({{{i}}} ^ {flip})" if sg == flipped else f"{{{i}}}"

    _add(f"{t}.eqz", "(0 if {0} else 1)", "not {0}")
    _compare(f"{t}.eq", "{0} == {1}")
    _compare(f"{t}.ne", "{0} != {1}")
    for op, py in (("lt", "<"), ("gt", ">"), ("le", "<="), ("ge", ">=")):
        for sg in ("u", "s"):
            _compare(f"{t}.{op}_{sg}", f"{order(0, sg)} {py} {order(1, sg)}")
    for op, py in (("and", "&"), ("or", "|"), ("xor", "^")):
        _add(f"{t}.{op}", f"({{0}} {py} {{1}})")


def _integer(t: str, bits: int) -> None:
    mask = f"0x{(1 << bits) - 1:X}"
    sign = f"0x{1 << (bits - 1):X}"

    def signed(i: int) -> str:
        """Operand i with its sign bit flipped: maps signed order onto unsigned order."""
        return f"({{{i}}} ^ {sign})"

    _compares_and_bitwise(t, sign, "s")
    _add(f"{t}.clz", f"({bits} - {{0}}.bit_length())")
    _add(f"{t}.ctz", f"{t}_ctz({{0}})")
    _add(f"{t}.popcnt", _POPCOUNT)
    for op, py in (("add", "+"), ("sub", "-"), ("mul", "*")):
        _add(f"{t}.{op}", f"(({{0}} {py} {{1}}) & {mask})")
    _add(f"{t}.div_s", f"{t}_div_s({{0}}, {{1}})", may_trap=True)
    _add(f"{t}.rem_s", f"{t}_rem_s({{0}}, {{1}})", may_trap=True)
    _add(f"{t}.div_u", "({0} // ({1} or trap_div_zero()))", may_trap=True)
    _add(f"{t}.rem_u", "({0} % ({1} or trap_div_zero()))", may_trap=True)
    count = f"({{1}} & {bits - 1})"
    _add(f"{t}.shl", f"(({{0}} << {count}) & {mask})")
    _add(f"{t}.shr_u", f"({{0}} >> {count})")
    _add(f"{t}.shr_s", f"((({signed(0)} - {sign}) >> {count}) & {mask})")
    _add(f"{t}.rotl", f"{t}_rotl({{0}}, {{1}})")
    _add(f"{t}.rotr", f"{t}_rotr({{0}}, {{1}})")
    for n in (8, 16, 32):
        if n < bits:
            low, top = f"0x{(1 << n) - 1:X}", f"0x{1 << (n - 1):X}"
            _add(f"{t}.extend{n}_s", f"(((({{0}} & {low}) ^ {top}) - {top}) & {mask})")


_S64 = "0x8000000000000000"
_M64 = "0xFFFFFFFFFFFFFFFF"


def to_signed64(expr: str) -> str:
    """``expr``, an int in ``[0, 2**64)``, as a signed i64 (see ``I64_SIGNED``)."""
    return f"(({expr} ^ {_S64}) - {_S64})"


def _wrap64(op: str, py: str) -> str:
    """Template of wrapping i64 ``op`` (Python operator ``py``) on signed values: a
    word operation on PyPy; elsewhere the exact result brought back into range."""
    if op in scalar.WORD_OPS:
        return f"w64_{op}({{0}}, {{1}})"
    return f"(((({{0}} {py} {{1}}) + {_S64}) & {_M64}) - {_S64})"


def _signed_i64() -> None:
    """The i64 instructions on signed values (``I64_SIGNED``): signed compares and
    shifts are Python's own; the unsigned ones flip the sign bit or go through
    ``[0, 2**64)``."""
    t = "i64"
    _compares_and_bitwise(t, f"-{_S64}", "u")
    _add(f"{t}.clz", "(64 - {0}.bit_length() if {0} >= 0 else 0)")
    _add(f"{t}.ctz", "i64_ctz({0})")
    _add(f"{t}.popcnt", _POPCOUNT.replace("{0}", f"({{0}} & {_M64})"))
    for op, py in (("add", "+"), ("sub", "-"), ("mul", "*")):
        _add(f"{t}.{op}", _wrap64(op, py))
    for op in ("div_s", "rem_s", "div_u", "rem_u"):
        _add(f"{t}.{op}", f"s64_{op}({{0}}, {{1}})", may_trap=True)
    count = "({1} & 63)"
    if "shl" in scalar.WORD_OPS:
        _add(f"{t}.shl", f"w64_shl({{0}}, {count})")
        _add(f"{t}.shr_u", f"w64_shr_u({{0}}, {count})")
    else:
        _add(f"{t}.shl", f"(((({{0}} << {count}) + {_S64}) & {_M64}) - {_S64})")
        # from a count of 1 on the result is below 2**63; a count of 0 keeps the value
        _add(f"{t}.shr_u", to_signed64(f"(({{0}} & {_M64}) >> {count})"))
    _add(f"{t}.shr_s", f"({{0}} >> {count})")
    _add(f"{t}.rotl", "s64_rotl({0}, {1})")
    _add(f"{t}.rotr", "s64_rotr({0}, {1})")
    for n in (8, 16, 32):
        low, top = f"0x{(1 << n) - 1:X}", f"0x{1 << (n - 1):X}"
        _add(f"{t}.extend{n}_s", f"((({{0}} & {low}) ^ {top}) - {top})")


ROUNDED: Dict[str, Template] = {}
"""f32 instruction -> the template of the double its result is the f32 rounding of
(its own template is ``f32_round`` of that, or ``f32_demote``'s), for a code generator
with a cheaper way to round: a C cast to ``float`` (IEEE round to nearest, overflow to
infinity, a NaN made quiet with its sign and top payload bits, as ``f32_demote``)."""


def _rounded(name: str, expr: str) -> None:
    ROUNDED[name] = Template(name, expr, None, False)


def _float(t: str) -> None:
    # f64 results are exact in Python floats; f32 results are rounded back to f32.
    r = "f32_round" if t == "f32" else ""
    for op, py in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("gt", ">"), ("le", "<="),
                   ("ge", ">=")):
        _compare(f"{t}.{op}", f"{{0}} {py} {{1}}")
    _add(f"{t}.abs", "abs({0})")
    _add(f"{t}.neg", "(-{0})")
    _add(f"{t}.copysign", "f_copysign({0}, {1})")
    for op in ("ceil", "floor", "trunc", "nearest"):
        _add(f"{t}.{op}", f"f_{op}({{0}})")  # integral values of an f32 are f32 values
    # (the helper calls only for a NaN or a negative operand)
    sqrt = "(c_sqrt({0}) if {0} >= 0.0 else f_sqrt({0}))"
    _add(f"{t}.sqrt", f"{r}({sqrt})" if r else sqrt)
    for op, py in (("add", "+"), ("sub", "-"), ("mul", "*")):
        _add(f"{t}.{op}", f"{r}({{0}} {py} {{1}})")
        if r:
            _rounded(f"{t}.{op}", f"({{0}} {py} {{1}})")
    # Python raises on division by zero; everything else is IEEE division.
    _add(f"{t}.div", f"({r}({{0}} / {{1}}) if {{1}} else f_div_zero({{0}}, {{1}}))")
    if r:  # (f_div_zero's infinities and NaNs are f32 values already)
        _rounded(f"{t}.sqrt", sqrt)
        _rounded(f"{t}.div", "({0} / {1} if {1} else f_div_zero({0}, {1}))")
    # (the helpers call only for equal operands, signed zeros, or a NaN)
    _add(f"{t}.min", "({0} if {0} < {1} else {1} if {1} < {0} else f_min({0}, {1}))")
    _add(f"{t}.max", "({0} if {0} > {1} else {1} if {1} > {0} else f_max({0}, {1}))")


def _conversions(signed64: bool) -> None:
    """The conversions; ``signed64``: i64 values are signed (``I64_SIGNED``)."""
    s32 = "({0} ^ 0x80000000) - 0x80000000"
    # the i64 operand as a signed and as an unsigned int, and an i64 result from each
    s64, u64 = ("{0}", f"({{0}} & {_M64})") if signed64 else (to_signed64("{0}"), "{0}")
    from_s64, from_u64 = ("{0}", to_signed64("{0}")) if signed64 else (f"({{0}} & {_M64})", "{0}")
    _add("i32.wrap_i64", "({0} & 0xFFFFFFFF)")
    _add("i64.extend_i32_s", from_s64.format(f"({s32})"))
    _add("i64.extend_i32_u", "{0}")
    for src in ("f32", "f64"):
        for dst in ("i32", "i64"):
            for sg in ("s", "u"):
                trunc, sat = f"{dst}_trunc_{sg}({{0}})", f"{dst}_trunc_sat_{sg}({{0}})"
                if dst == "i32":  # in range: inline; the helpers trap or saturate
                    low, mask = ("-2147483649.0", " & 0xFFFFFFFF") if sg == "s" else ("-1.0", "")
                    high = "2147483648.0" if sg == "s" else "4294967296.0"
                    trunc, sat = (f"(int({{0}}){mask} if {low} < {{0}} < {high} else {h})" for h in (trunc, sat))
                if dst == "i64":  # the helpers return ints in [0, 2**64)
                    trunc, sat = from_u64.format(trunc), from_u64.format(sat)
                _add(f"{dst}.trunc_{src}_{sg}", trunc, may_trap=True)
                _add(f"{dst}.trunc_sat_{src}_{sg}", sat)
    # i32 -> f32 is exact in a double, then rounded once; i64 needs integer rounding.
    _add("f32.convert_i32_s", f"f32_round({s32})")
    _add("f32.convert_i32_u", "f32_round({0})")
    _rounded("f32.convert_i32_s", f"({s32})")
    _rounded("f32.convert_i32_u", "{0}")
    _add("f32.convert_i64_s", f"f32_from_int({s64})")
    _add("f32.convert_i64_u", f"f32_from_int({u64})")
    # int -> float in Python rounds correctly (half to even).
    _add("f64.convert_i32_s", f"float({s32})")
    _add("f64.convert_i32_u", "float({0})")
    _add("f64.convert_i64_s", f"float({s64})")
    _add("f64.convert_i64_u", f"float({u64})")
    _add("f32.demote_f64", "f32_demote({0})")
    # (a hardware conversion of a NaN keeps its sign and top payload bits, made quiet)
    _rounded("f32.demote_f64", "{0}")
    # Every f32 value is already the same double; only a NaN must become quiet.
    _add("f64.promote_f32", "({0} if {0} == {0} else f_quiet({0}))")
    _add("i32.reinterpret_f32", "f32_to_bits({0})")
    _add("i64.reinterpret_f64", "s64_to_bits({0})" if signed64 else "f64_to_bits({0})")
    _add("f32.reinterpret_i32", "f32_from_bits({0})")
    _add("f64.reinterpret_i64", "s64_from_bits({0})" if signed64 else "f64_from_bits({0})")


# Delayed masking. The wrapping operations below are congruences: their result
# modulo 2**bits depends only on their operands modulo 2**bits. So an operand
# computed by a wrapping operation of the same width may skip its own mask (be
# "unwrapped", any integer congruent to the value, even negative) when its
# consumer is one of ``ABSORBS`` (on the operand positions listed), which masks
# its result anyway. A code generator splicing expressions uses ``UNWRAPPED``.
UNWRAPPED: Dict[str, str] = {}
"""Wrapping instruction -> its template without the final mask."""
ABSORBS: Dict[str, Tuple[int, Tuple[int, ...]]] = {}
"""Instruction -> (width in bits it reduces to, operand positions that may be unwrapped)."""


ROTATES = {f"{t}.{op}": (bits, op == "rotl") for t, bits in (("i32", 32), ("i64", 64))
           for op in ("rotl", "rotr")}
"""Rotations: (width, to the left?). By a constant count they need no helper call."""


def render_rotate(name: str, value: str, count: int, scratch: str, unmasked: bool = False) -> str:
    """Rotation ``name`` of ``value`` by the constant ``count``, inline; a ``value``
    that is not a plain name is bound once to the local ``scratch``. ``unmasked``
    (unsigned values only): without the final mask, congruent to the rotation (the
    two shifted parts share no bit)."""
    bits, left = ROTATES[name]
    k = count % bits if left else -count % bits
    if k == 0:
        return value
    first, again = (value, value) if _IDENT.match(value) else (f"({scratch} := {_place(value, False)})", scratch)
    if bits == 64 and I64_SIGNED:
        if "shl" in scalar.WORD_OPS:
            return Wrapped(f"(w64_shl({first}, {k}) | w64_shr_u({again}, {bits - k}))")
        return Wrapped(to_signed64(f"((({first} << {k}) | (({again} & {_M64}) >> {bits - k})) & {_M64})"))
    if unmasked:
        return Wrapped(f"(({first} << {k}) | ({again} >> {bits - k}))")
    return Wrapped(f"((({first} << {k}) | ({again} >> {bits - k})) & 0x{(1 << bits) - 1:X})")


def render_unwrapped(name: str, *operands: str) -> str:
    """``name``'s expression without its final mask (``name`` in ``UNWRAPPED``)."""
    return Wrapped(UNWRAPPED[name].format(*[_place(x, False) for x in operands]))


def _delayed_masks(signed64: bool) -> None:
    """``signed64``: i64 results are brought back into range at once, not delayed."""
    for t, bits in (("i32", 32),) if signed64 else (("i32", 32), ("i64", 64)):
        for op, py in (("add", "+"), ("sub", "-"), ("mul", "*")):
            UNWRAPPED[f"{t}.{op}"] = f"({{0}} {py} {{1}})"
            ABSORBS[f"{t}.{op}"] = (bits, (0, 1))
        UNWRAPPED[f"{t}.shl"] = f"({{0}} << ({{1}} & {bits - 1}))"
        ABSORBS[f"{t}.shl"] = (bits, (0,))  # the value; the count is reduced by & (bits - 1)
    ABSORBS["i32.wrap_i64"] = (32, (0,))  # congruent mod 2**64 is congruent mod 2**32
    for name, bits in (("i32.store8", 8), ("i32.store16", 16), ("i64.store8", 8),
                       ("i64.store16", 16), ("i64.store32", 32)):
        ABSORBS[name] = (bits, (1,))  # a narrow store masks the value it stores


I64_SIGNED = scalar.I64_SIGNED
_integer("i32", 32)
if I64_SIGNED:
    _signed_i64()
else:
    _integer("i64", 64)
_delayed_masks(I64_SIGNED)
_float("f32")
_float("f64")
_conversions(I64_SIGNED)


def names() -> List[str]:
    """Every instruction name covered, in table order."""
    return list(SCALAR)


def helper_namespace(helpers: Iterable[str]) -> Dict[str, object]:
    """The globals a generated module needs for templates using ``helpers``."""
    return {name: HELPERS[name] for name in helpers}


_EVALUATORS: Dict[str, Callable[..., object]] = {}


def evaluator(name: str) -> Callable[..., object]:
    """A function computing the instruction from its operand values (compiled once).

    Raises KeyError for a name that is not a scalar numeric instruction.
    """
    fn = _EVALUATORS.get(name)
    if fn is None:
        t = SCALAR[name]
        params = [f"a{i}" for i in range(t.arity)]
        source = f"lambda {', '.join(params)}: {t.render(*params)}"
        code = compile(source, f"<wasmlite.numeric {name}>", "eval")
        fn = _EVALUATORS[name] = eval(code, helper_namespace(t.helpers))
    return fn
