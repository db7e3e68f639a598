"""Values at the boundary between Python and wasm, in both directions.

The engine's representation (``wasmlite.numeric``) keeps integers unsigned; the API
gives Python the conventions of wasmtime-py:

* i32 / i64: a Python ``int``. Arguments may be signed or unsigned (anything in
  ``[-2**(n-1), 2**n)``, reinterpreted as two's complement); results are signed.
* f32 / f64: a Python ``float`` (an ``int`` is accepted too). A float keeps f64
  NaN payloads bit for bit; an f32 NaN payload too, as long as the float came from
  wasm. To pass or receive exact bits, signalling NaNs included, use ``F32Bits`` /
  ``F64Bits``: accepted wherever a float is, and returned by ``Func.raw`` and given
  to host functions defined with ``raw=True``.
* v128: an ``int`` in ``[0, 2**128)`` (lane 0 in the low bits); negative ints down
  to ``-2**127`` are accepted.
* funcref: a ``Func`` or None; externref: any Python object, None being null.

``IN`` and ``OUT`` describe each conversion once, as source text that
``boundary`` splices into the generated call paths, and the ``to_*`` functions
are the checked (slower) conversions those fall back to.
"""

from __future__ import annotations

from typing import Any, Callable, Dict

from .. import syntax
from ..numeric import I64_SIGNED, f32_from_bits, f32_round, f32_to_bits, f64_from_bits, f64_to_bits, i64_of
from ..runtime.objects import ExternRef

__all__ = ["F32Bits", "F64Bits"]


class _FloatBits:
    """A float given by its IEEE bits, so that any NaN survives (``F32Bits``, ``F64Bits``)."""

    __slots__ = ("bits",)
    WIDTH = 0

    def __init__(self, bits: int) -> None:
        if not isinstance(bits, int) or not 0 <= bits < (1 << self.WIDTH):
            raise ValueError(f"f{self.WIDTH} bits must be an int in [0, 2**{self.WIDTH}), not {bits!r}")
        self.bits = bits

    def __float__(self) -> float:
        return f32_from_bits(self.bits) if self.WIDTH == 32 else f64_from_bits(self.bits)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _FloatBits) and other.__class__ is self.__class__ and other.bits == self.bits

    def __hash__(self) -> int:
        return hash((self.WIDTH, self.bits))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.bits:#0{self.WIDTH // 4 + 2}x})"


class F32Bits(_FloatBits):
    """An f32 given by its IEEE bits (an int in ``[0, 2**32)``), so any NaN survives."""

    __slots__ = ()
    WIDTH = 32


class F64Bits(_FloatBits):
    """An f64 given by its IEEE bits (an int in ``[0, 2**64)``), so any NaN survives."""

    __slots__ = ()
    WIDTH = 64


def _int(x: Any, bits: int, name: str) -> int:
    if not isinstance(x, int):
        raise TypeError(f"expected an int for {name}, got {type(x).__name__} {x!r}")
    if not -(1 << (bits - 1)) <= x < (1 << bits):
        raise ValueError(f"{x} does not fit in {name}")
    return x & ((1 << bits) - 1)


def to_i32(x: Any) -> int:
    """An i32 argument in the engine's form (checked)."""
    return _int(x, 32, "i32")


def to_i64(x: Any) -> int:
    """An i64 argument in the engine's form (checked; see ``numeric.I64_SIGNED``)."""
    return i64_of(_int(x, 64, "i64"))


def to_v128(x: Any) -> int:
    """A v128 argument in the engine's form (checked)."""
    return _int(x, 128, "v128")


def to_f32(x: Any) -> float:
    """An f32 argument: rounded to single precision; NaNs keep their f32 payload."""
    if x.__class__ is F32Bits:
        return f32_from_bits(x.bits)
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        x = float(x)
        return f32_round(x) if x == x else f32_from_bits(f32_to_bits(x))
    raise TypeError(f"expected a float or F32Bits for f32, got {type(x).__name__} {x!r}")


def to_f64(x: Any) -> float:
    """An f64 argument (an int converts exactly or raises OverflowError)."""
    if x.__class__ is F64Bits:
        return f64_from_bits(x.bits)
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"expected a float or F64Bits for f64, got {type(x).__name__} {x!r}")


def raw_f32(x: float) -> F32Bits:
    """An f32 result as its exact bits."""
    return F32Bits(f32_to_bits(x))


def raw_f64(x: float) -> F64Bits:
    """An f64 result as its exact bits."""
    return F64Bits(f64_to_bits(x))


IN: Dict[int, str] = {
    syntax.I32: "{v} = {v} & 0xFFFFFFFF if {v}.__class__ is int and -0x80000000 <= {v} <= 0xFFFFFFFF else to_i32({v})",
    syntax.I64: ("{v} = {v} if {v}.__class__ is int and -0x8000000000000000 <= {v} <= 0x7FFFFFFFFFFFFFFF "
                 "else to_i64({v})") if I64_SIGNED else
                ("{v} = {v} & 0xFFFFFFFFFFFFFFFF if {v}.__class__ is int and "
                 "-0x8000000000000000 <= {v} <= 0xFFFFFFFFFFFFFFFF else to_i64({v})"),
    syntax.F32: "{v} = to_f32({v})",
    syntax.F64: "{v} = {v} if {v}.__class__ is float else to_f64({v})",
    syntax.V128: "{v} = to_v128({v})",
    syntax.FUNCREF: "{v} = to_funcref({v})",
    syntax.EXTERNREF: "{v} = None if {v} is None else ExternRef({v})",
}
"""Statement turning the Python value in variable ``{v}`` into the engine's, per type."""

OUT: Dict[int, str] = {
    syntax.I32: "({v} - 0x100000000 if {v} > 0x7FFFFFFF else {v})",
    syntax.I64: "{v}" if I64_SIGNED else "({v} - 0x10000000000000000 if {v} > 0x7FFFFFFFFFFFFFFF else {v})",
    syntax.F32: "{v}",
    syntax.F64: "{v}",
    syntax.V128: "{v}",
    syntax.FUNCREF: "from_funcref({v})",
    syntax.EXTERNREF: "(None if {v} is None else {v}.value)",
}
"""Expression giving Python the engine's value ``{v}``, per type."""

RAW_OUT: Dict[int, str] = dict(OUT)
RAW_OUT.update({syntax.F32: "raw_f32({v})", syntax.F64: "raw_f64({v})"})
"""``OUT`` with floats as exact bits (``F32Bits`` / ``F64Bits``)."""

HELPERS: Dict[str, Callable[..., Any]] = {
    "to_i32": to_i32, "to_i64": to_i64, "to_f32": to_f32, "to_f64": to_f64, "to_v128": to_v128,
    "ExternRef": ExternRef, "raw_f32": raw_f32, "raw_f64": raw_f64,
}  # fmt: skip
"""The names ``IN`` and ``OUT`` use (but ``to_funcref`` and ``from_funcref``, which
belong to a store)."""
