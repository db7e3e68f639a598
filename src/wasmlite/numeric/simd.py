"""The v128 instructions of WebAssembly 2.0 as templates, described once for both tiers.

``SIMD`` maps every SIMD instruction the engine computes (by ``Op.name``) to a
``Template``, exactly like ``templates.SCALAR``: tier 0 builds its handlers from
them, tier 1 splices them into generated source. The memory instructions are not
here: the translator lowers them to the scalar loads and stores plus lane
instructions of this table (see ``translate``), so their bounds checks are the
scalar ones.

Representation: a v128 is a Python ``int`` in ``[0, 2**128)``, lane 0 in the low
bits (the little-endian reading of its 16 bytes). Chosen by measurement
(``python -m benchmarks.simd_repr``, figures in benchmarks/NOTES.md): on CPython
3.11 a bitwise op on ints costs ~40 ns against ~200-300 ns for bytes or lane
tuples, lane access is a shift and a mask, and an int is also what constants,
globals and the spec runner already use. Lane-wise add, sub, neg, compares,
min/max, saturating add/sub, avgr, shl and shr_u work on all lanes at once by
carry-free bit tricks (0.1-0.4 us); shuffles are one ``bytes.translate``. The
rest unpack the int's bytes with ``struct`` and pack the results back (~0.3-0.9
us), where tuples of lanes would win only while consecutive ops keep one shape.

Lane semantics come from ``templates.SCALAR`` wherever a scalar instruction is
the lane operation (float arithmetic, min/max, rounding, sqrt, trunc_sat,
demote/promote, convert_low, popcnt), so NaN and rounding rules exist once. f32
lanes are read as doubles (exact) and computed as f64 operations; packing them
back with struct's ``'f'`` rounds once to single precision, which for + - * /
and sqrt gives the correctly rounded f32 result (53 >= 2*24 + 2 bits), and for
an i32 lane is f32.convert_i32. That read quiets signalling NaNs, which is
right for every arithmetic lane op; the ops that must keep NaN bits (abs, neg,
lane access, splat, pmin/pmax, shuffles, bitwise) never convert lanes to floats.

The helpers are generated, unrolled, from lane expressions when the module is
imported, and registered in ``templates.HELPERS`` under ``v_<name>`` as source:
each is compiled on its first lookup (all of them would cost ~12 ms of
``compile()`` at import, and most modules use no SIMD).
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Dict, List, Optional, Sequence

from . import scalar
from .templates import HELPERS, I64_SIGNED, SCALAR, Template, to_signed64

__all__ = ["SIMD", "M128"]

M128 = (1 << 128) - 1

# Lane kinds: struct format character and lane width in bits.
_KINDS = {
    "s8": ("b", 8), "u8": ("B", 8), "s16": ("h", 16), "u16": ("H", 16),
    "s32": ("i", 32), "u32": ("I", 32), "s64": ("q", 64), "u64": ("Q", 64),
    "f32": ("f", 32), "f64": ("d", 64),
}  # fmt: skip


def _count(kind: str) -> int:
    return 128 // _KINDS[kind][1]


def _repeat(lane: int, bits: int) -> int:
    """``lane`` in every lane of width ``bits``."""
    return sum(lane << i for i in range(0, 128, bits))


def _hex(x: int) -> str:
    return f"0x{x:X}"


# The generated helpers' globals: lane unpackers U_<kind> and packers P_<kind>,
# the scalar helpers, and what the helpers below name.
_NS: Dict[str, Any] = {"from_bytes": int.from_bytes, "ZEROS224": bytes(224), "ZEROS240": bytes(240)}
_NS.update({name: getattr(scalar, name) for name in scalar.__all__})
for _kind, (_fmt, _bits) in _KINDS.items():
    _s = struct.Struct(f"<{128 // _bits}{_fmt}")
    _NS[f"U_{_kind}"], _NS[f"P_{_kind}"] = _s.unpack, _s.pack
_P_f32 = _NS["P_f32"]


def _f32_pack(*lanes: float) -> int:
    """f32 lanes (doubles, or ints below 2**53) rounded once to single precision
    and packed. struct raises OverflowError for values that round to infinity;
    then every lane goes through ``f32_round``, which makes them infinity."""
    try:
        return int.from_bytes(_P_f32(*lanes), "little")
    except OverflowError:
        return int.from_bytes(_P_f32(*map(scalar.f32_round, lanes)), "little")


_NS["pack_f32"] = _f32_pack

SIMD: Dict[str, Template] = {}


def _packed(kind: str, lanes: Sequence[str]) -> str:
    """The expression packing lane expressions of ``kind`` into a v128."""
    assert len(lanes) == _count(kind), (kind, len(lanes))
    if kind == "f32":
        return f"pack_f32({', '.join(lanes)})"
    return f"from_bytes(P_{kind}({', '.join(lanes)}), 'little')"


def _helper(name: str, params: Dict[str, Optional[str]], result: str, pre: Sequence[str] = ()) -> str:
    """Generate helper ``v_<name>``: each v128 parameter with a lane kind is
    unpacked into ``<param>0``, ``<param>1``... (a None kind leaves the parameter
    as it is), then ``pre`` statements run and ``result`` is returned. Returns the
    helper's call template."""
    fn = "v_" + name.replace(".", "_")
    lines = [f"def {fn}({', '.join(params)}):"]
    for p, kind in params.items():
        if kind is not None:
            names = ", ".join(f"{p}{i}" for i in range(_count(kind)))
            lines.append(f"    {names}, = U_{kind}({p}.to_bytes(16, 'little'))")
    lines += [f"    {s}" for s in pre]
    lines.append(f"    return {result}")
    HELPERS.generated(fn, "\n".join(lines) + "\n", _NS)
    return f"{fn}({', '.join('{%d}' % i for i in range(len(params)))})"


def _sat(expr: str, lo: int, hi: int, tmp: str) -> str:
    """``expr`` clamped to ``[lo, hi]`` (through the temporary ``tmp`` unless a name)."""
    if expr.isidentifier():
        return f"({hi} if {expr} > {hi} else ({lo} if {expr} < {lo} else {expr}))"
    return f"({hi} if ({tmp} := {expr}) > {hi} else ({lo} if {tmp} < {lo} else {tmp}))"


_PENDING: Dict[str, Any] = {}  # name: (expr, fields_of) until the helpers are registered


def _add(name: str, expr: str, fields_of: Optional[Callable[[Any], Dict[str, Any]]] = None) -> None:
    assert name not in _PENDING, name
    _PENDING[name] = (expr, fields_of)


def _lanewise(name: str, in_kind: str, out_kind: str, lane: Callable[..., str], arity: int) -> None:
    """``name`` computing every output lane ``i`` as ``lane("a<i>", "b<i>")``."""
    params = "ab"[:arity]
    lanes = [lane(*(f"{p}{i}" for p in params)) for i in range(_count(out_kind))]
    _add(name, _helper(name, {p: in_kind for p in params}, _packed(out_kind, lanes)))


def _scalar(op: str) -> Callable[..., str]:
    """A lane expression from the scalar template of ``op``."""
    return SCALAR[op].render


# -- bit ops, splat and lane access (no unpacking) ----------------------------------------

def _bitwise() -> None:
    _add("v128.not", f"({{0}} ^ {_hex(M128)})")
    _add("v128.and", "({0} & {1})")
    _add("v128.andnot", "({0} & ~{1})")
    _add("v128.or", "({0} | {1})")
    _add("v128.xor", "({0} ^ {1})")
    _add("v128.bitselect", "(({0} & {2}) | ({1} & ~{2}))")
    _add("v128.any_true", "(1 if {0} else 0)")


_INT_SHAPES = (("i8x16", 8), ("i16x8", 16), ("i32x4", 32), ("i64x2", 64))


def _lanes_access() -> None:
    for shape, bits in _INT_SHAPES + (("f32x4", 32), ("f64x2", 64)):
        mask = (1 << bits) - 1
        ones = _hex(_repeat(1, bits))
        m = _hex(mask)

        def shift(lane: int, bits: int = bits) -> Dict[str, Any]:
            return {"shift": lane * bits}

        def replace(lane: int, bits: int = bits, mask: int = mask) -> Dict[str, Any]:
            return {"shift": lane * bits, "keep": M128 ^ (mask << (lane * bits))}

        get = f"(({{0}} >> {{shift}}) & {m})"
        if shape[0] == "f":
            t = "f32" if bits == 32 else "f64"
            _add(f"{shape}.splat", f"({t}_to_bits({{0}}) * {ones})")
            _add(f"{shape}.extract_lane", f"{t}_from_bits({get})", shift)
            _add(f"{shape}.replace_lane", f"(({{0}} & {{keep}}) | ({t}_to_bits({{1}}) << {{shift}}))", replace)
        elif bits < 32:
            top = _hex(1 << (bits - 1))
            _add(f"{shape}.splat", f"(({{0}} & {m}) * {ones})")
            _add(f"{shape}.extract_lane_u", get, shift)
            _add(f"{shape}.extract_lane_s", f"((({get} ^ {top}) - {top}) & 0xFFFFFFFF)", shift)
            _add(f"{shape}.replace_lane", f"(({{0}} & {{keep}}) | (({{1}} & {m}) << {{shift}}))", replace)
        elif bits == 32 or not I64_SIGNED:
            _add(f"{shape}.splat", f"({{0}} * {ones})")
            _add(f"{shape}.extract_lane", get, shift)
            _add(f"{shape}.replace_lane", "(({0} & {keep}) | ({1} << {shift}))", replace)
        else:  # a signed i64 lane value
            _add(f"{shape}.splat", f"(({{0}} & {m}) * {ones})")
            _add(f"{shape}.extract_lane", to_signed64(get), shift)
            _add(f"{shape}.replace_lane", f"(({{0}} & {{keep}}) | (({{1}} & {m}) << {{shift}}))", replace)
    # Both select bytes by index, which is what bytes.translate does through a
    # 256-byte table: the operands' bytes, zero-padded (indices past them select 0).
    # The shuffle's third parameter is its immediate: the field ``lanes``.
    _add("i8x16.shuffle", _helper("i8x16.shuffle", {"a": None, "b": None, "lanes": None},
                                  "from_bytes(lanes.translate(a.to_bytes(16, 'little') + b.to_bytes(16, 'little')"
                                  " + ZEROS224), 'little')").replace("{2}", "{lanes}"),
         lambda lanes: {"lanes": bytes(lanes)})
    _add("i8x16.swizzle", _helper("i8x16.swizzle", {"a": None, "b": None},
                                  "from_bytes(b.to_bytes(16, 'little').translate(a.to_bytes(16, 'little') + ZEROS240),"
                                  " 'little')"))


# -- integer lanes ---------------------------------------------------------------------

def _integer(shape: str, bits: int) -> None:
    n = 128 // bits
    s, u = f"s{bits}", f"u{bits}"
    mask = _hex((1 << bits) - 1)
    hi = _repeat(1 << (bits - 1), bits)
    lo = M128 ^ hi
    H, L = _hex(hi), _hex(lo)
    # Carry-free add/sub of all lanes at once: the lanes' top bits are set aside so
    # no carry or borrow crosses a lane, then put back by xor.
    _add(f"{shape}.add", f"((({{0}} & {L}) + ({{1}} & {L})) ^ (({{0}} ^ {{1}}) & {H}))")
    _add(f"{shape}.sub", f"((({{0}} | {H}) - ({{1}} & {L})) ^ ((({{0}} ^ {{1}}) & {H}) ^ {H}))")
    _add(f"{shape}.neg", f"(({H} - ({{0}} & {L})) ^ (({{0}} & {H}) ^ {H}))")
    _lanewise(f"{shape}.abs", s, u, lambda a: f"({a} if {a} >= 0 else -{a})", 1)
    if bits > 8:
        _lanewise(f"{shape}.mul", u, u, lambda a, b: f"(({a} * {b}) & {mask})", 2)
    # Shifts (the count taken modulo the lane width) move all lanes at once and mask
    # off what crossed a lane boundary; shr_s then fills the vacated top bits of
    # the lanes whose sign bit was set.
    ones = _hex(_repeat(1, bits))
    count = f"s = b & {bits - 1}"
    shr_u = f"((a >> s) & ({ones} * ({mask} >> s)))"
    _add(f"{shape}.shl", _helper(f"{shape}.shl", {"a": None, "b": None},
                                 f"((a << s) & ({ones} * (({mask} << s) & {mask})))", [count]))
    _add(f"{shape}.shr_u", _helper(f"{shape}.shr_u", {"a": None, "b": None}, shr_u, [count]))
    _add(f"{shape}.shr_s", _helper(f"{shape}.shr_s", {"a": None, "b": None},
                                   f"{shr_u} | (((a & {H}) >> {bits - 1}) * (({mask} << ({bits} - s)) & {mask}))",
                                   [count]))
    _add(f"{shape}.all_true", _helper(f"{shape}.all_true", {"a": u},
                                      f"(1 if {' and '.join(f'a{i}' for i in range(n))} else 0)"))
    _add(f"{shape}.bitmask", _helper(f"{shape}.bitmask", {"a": s},
                                     " | ".join(f"((a{i} < 0) << {i})" for i in range(n))))
    _compares_and_saturation(shape, bits)


def _compares_and_saturation(shape: str, bits: int) -> None:
    """Comparisons, min/max, saturating add/sub and avgr_u on all lanes at once.

    Measured on CPython 3.11: 0.2-0.4 us against 0.5-0.9 us unpacking lanes. The
    carry-free add/sub (see ``_integer``) also give each lane's carry or borrow
    out of its top bit, and ``(x >> (bits - 1)) * lane_mask`` widens a bit per
    lane (at the lanes' top) into a full lane mask. Signed forms flip the top
    bits first, which maps signed order onto unsigned order."""
    k = bits - 1
    hi = _repeat(1 << k, bits)
    H, L, M = _hex(hi), _hex(M128 ^ hi), _hex((1 << bits) - 1)
    ones = _repeat(1, bits)
    add = f"r = ((a & {L}) + (b & {L})) ^ ((a ^ b) & {H})"
    sub = f"r = ((a | {H}) - (b & {L})) ^ (((a ^ b) & {H}) ^ {H})"
    carry = f"c = ((a & b) | ((a | b) & ~r)) & {H}"  # unsigned carry out of each lane
    borrow = f"c = ((~a & b) | (~(a ^ b) & r)) & {H}"  # unsigned borrow: lanes where a < b
    flip = [f"a ^= {H}", f"b ^= {H}"]
    swap = ["a, b = b, a"]
    full = f"((c >> {k}) * {M})"
    less = [sub, borrow]  # c: lanes where a < b (unsigned)

    def helper(op: str, pre: List[str], result: str) -> None:
        name = f"{shape}.{op}"
        _add(name, _helper(name, {"a": None, "b": None}, result, pre))

    nonzero = f"c = ((((a ^ b) & {L}) + {L}) | (a ^ b)) & {H}"  # lanes where a != b
    helper("eq", [nonzero], f"{_hex(M128)} ^ {full}")
    helper("ne", [nonzero], full)
    signs = [("_s", flip)] + ([("_u", [])] if bits < 64 else [])
    for sg, pre in signs:
        helper(f"lt{sg}", pre + less, full)
        helper(f"gt{sg}", pre + swap + less, full)
        helper(f"ge{sg}", pre + less, f"{_hex(M128)} ^ {full}")
        helper(f"le{sg}", pre + swap + less, f"{_hex(M128)} ^ {full}")
    if bits == 64:
        return
    # min_u(a, b) = a - sat_sub_u(a, b) and max_u(a, b) = b + sat_sub_u(a, b): no lane
    # of either sum carries or borrows.
    sat_sub = f"(r & ~{full})"
    for sg, pre in signs:
        post = f" ^ {H}" if sg == "_s" else ""
        helper(f"min{sg}", pre + less, f"(a - {sat_sub}){post}")
        helper(f"max{sg}", pre + less, f"(b + {sat_sub}){post}")
    if bits > 16:
        return
    # (a + b + 1) >> 1 per lane is (a | b) - ((a ^ b) >> 1), which never borrows.
    _add(f"{shape}.avgr_u", f"(({{0}} | {{1}}) - ((({{0}} ^ {{1}}) >> 1) & {L}))")
    helper("add_sat_u", [add, carry], f"r | {full}")
    helper("sub_sat_u", less, sat_sub)
    # Signed overflow: the operands' signs agree (add) or differ (sub) and the
    # result's differs from a's; such lanes become 0x7F.. or 0x80.. by a's sign.
    bound = f"{_hex(ones * ((1 << k) - 1))} + ((a & {H}) >> {k})"
    for op, step, same in (("add", add, "~(a ^ b)"), ("sub", sub, "(a ^ b)")):
        over = f"c = {same} & (a ^ r) & {H}"
        helper(f"{op}_sat_s", [step, over, f"m = {full}"], f"(r & ~m) | (({bound}) & m)")


def _integer_mixed() -> None:
    """Ops between shapes: narrow, extend, extmul, extadd_pairwise, dot, q15mulr, popcnt."""
    names = {8: "i8x16", 16: "i16x8", 32: "i32x4", 64: "i64x2"}
    for bits in (16, 32):
        wide, narrow = names[bits], names[bits // 2]
        half = bits // 2
        for sg, kind, lo, hi in (("s", f"s{half}", -(1 << (half - 1)), (1 << (half - 1)) - 1),
                                 ("u", f"u{half}", 0, (1 << half) - 1)):
            n = 128 // bits
            lanes = [_sat(f"{p}{i}", lo, hi, "x") for p in "ab" for i in range(n)]
            _add(f"{narrow}.narrow_{wide}_{sg}",
                 _helper(f"{narrow}.narrow_{wide}_{sg}", {"a": f"s{bits}", "b": f"s{bits}"}, _packed(kind, lanes)))
    for bits in (16, 32, 64):
        wide, narrow = names[bits], names[bits // 2]
        n = 128 // bits
        for sg in "su":
            src, dst = f"{sg}{bits // 2}", f"{sg}{bits}"
            for part, base in (("low", 0), ("high", n)):
                name = f"{wide}.extend_{part}_{narrow}_{sg}"
                _add(name, _helper(name, {"a": src}, _packed(dst, [f"a{base + i}" for i in range(n)])))
                name = f"{wide}.extmul_{part}_{narrow}_{sg}"
                _add(name, _helper(name, {"a": src, "b": src},
                                   _packed(dst, [f"a{base + i} * b{base + i}" for i in range(n)])))
            if bits < 64:
                name = f"{wide}.extadd_pairwise_{narrow}_{sg}"
                _add(name, _helper(name, {"a": src}, _packed(dst, [f"a{2 * i} + a{2 * i + 1}" for i in range(n)])))
    _add("i32x4.dot_i16x8_s", _helper("i32x4.dot_i16x8_s", {"a": "s16", "b": "s16"}, _packed(
        "u32", [f"(a{2 * i} * b{2 * i} + a{2 * i + 1} * b{2 * i + 1}) & 0xFFFFFFFF" for i in range(4)])))
    _lanewise("i16x8.q15mulr_sat_s", "s16", "s16",
              lambda a, b: _sat(f"({a} * {b} + 0x4000) >> 15", -32768, 32767, "x"), 2)
    _lanewise("i8x16.popcnt", "u8", "u8", _scalar("i32.popcnt"), 1)


# -- float lanes --------------------------------------------------------------------------

def _float(shape: str, bits: int) -> None:
    t = f"f{bits}"
    sign = _repeat(1 << (bits - 1), bits)
    _add(f"{shape}.abs", f"({{0}} & {_hex(M128 ^ sign)})")
    _add(f"{shape}.neg", f"({{0}} ^ {_hex(sign)})")
    # f64 templates for f32 lanes too: the pack rounds to f32 (see the docstring).
    for op in ("add", "sub", "mul", "div"):
        _lanewise(f"{shape}.{op}", t, t, _scalar(f"f64.{op}"), 2)
    for op in ("min", "max"):
        _lanewise(f"{shape}.{op}", t, t, _scalar(f"f64.{op}"), 2)
    for op in ("sqrt", "ceil", "floor", "trunc", "nearest"):
        _lanewise(f"{shape}.{op}", t, t, _scalar(f"f64.{op}"), 1)
    for op, py in (("eq", "=="), ("ne", "!="), ("lt", "<"), ("gt", ">"), ("le", "<="), ("ge", ">=")):
        _lanewise(f"{shape}.{op}", t, f"s{bits}", lambda a, b, py=py: f"-({a} {py} {b})", 2)
    # pmin/pmax return one operand's lane bits unchanged (NaNs included): the float
    # comparison makes a lane mask that selects between the raw operands.
    n = 128 // bits
    for op, cmp in (("pmin", "b{i} < a{i}"), ("pmax", "a{i} < b{i}")):
        mask = _packed(f"s{bits}", [f"-({cmp.format(i=i)})" for i in range(n)])
        _add(f"{shape}.{op}", _helper(f"{shape}.{op}", {"a": t, "b": t}, "(b & m) | (a & ~m)", [f"m = {mask}"]))


def _conversions() -> None:
    _lanewise("i32x4.trunc_sat_f32x4_s", "f32", "u32", _scalar("i32.trunc_sat_f32_s"), 1)
    _lanewise("i32x4.trunc_sat_f32x4_u", "f32", "u32", _scalar("i32.trunc_sat_f32_u"), 1)
    # The ints themselves are the lanes: the pack rounds them once to f32, exactly
    # the scalar f32.convert_i32 (which is f32_round of the int).
    _lanewise("f32x4.convert_i32x4_s", "s32", "f32", lambda a: a, 1)
    _lanewise("f32x4.convert_i32x4_u", "u32", "f32", lambda a: a, 1)
    for sg in "su":
        name = f"i32x4.trunc_sat_f64x2_{sg}_zero"
        lane = _scalar(f"i32.trunc_sat_f64_{sg}")
        _add(name, _helper(name, {"a": "f64"}, _packed("u32", [lane("a0"), lane("a1"), "0", "0"])))
        name = f"f64x2.convert_low_i32x4_{sg}"
        lane = _scalar(f"f64.convert_i32_{sg}")
        _add(name, _helper(name, {"a": "u32"}, _packed("f64", [lane("a0"), lane("a1")])))
    lane = _scalar("f32.demote_f64")
    _add("f32x4.demote_f64x2_zero", _helper("f32x4.demote_f64x2_zero", {"a": "f64"},
                                            _packed("f32", [lane("a0"), lane("a1"), "0.0", "0.0"])))
    lane = _scalar("f64.promote_f32")
    _add("f64x2.promote_low_f32x4", _helper("f64x2.promote_low_f32x4", {"a": "f32"},
                                            _packed("f64", [lane("a0"), lane("a1")])))


_bitwise()
_lanes_access()
for _shape, _bits in _INT_SHAPES:
    _integer(_shape, _bits)
_integer_mixed()
_float("f32x4", 32)
_float("f64x2", 64)
_conversions()

for _name, (_expr, _fields_of) in _PENDING.items():
    SIMD[_name] = Template(_name, _expr, None, False, _fields_of)
_PENDING.clear()
