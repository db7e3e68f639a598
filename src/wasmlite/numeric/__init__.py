"""Numeric semantics of WebAssembly 2.0, described once for both engine tiers.

``templates.SCALAR`` maps every scalar numeric instruction (by ``Op.name``) to a
Python expression template, ``simd.SIMD`` every v128 instruction but the memory
ones; ``NUMERIC`` is both. The tier-1 code generator splices templates into
generated source and the tier-0 interpreter builds its handlers from the same
templates (``evaluator(name)`` runs a scalar one). ``scalar`` holds the helpers
scalar templates call, ``simd`` generates the lane-wise ones.

Run-time value representation (every engine component relies on it):

* i32: ``int`` in ``[0, 2**32)``; i64: ``int`` in ``[0, 2**64)`` (unsigned canonical
  form; signed operations reinterpret, results are masked back), or, where
  ``I64_SIGNED`` (the default on PyPy, ``WASMLITE_I64=signed``), in
  ``[-2**63, 2**63)``: machine words on PyPy, whose JIT makes every larger int a
  heap bigint. Memory, constants, globals and the API convert at their edges.
* f64: ``float``; its bits are the f64 bits, NaN payloads included (Python keeps
  them as long as nothing converts through a C ``float``).
* f32: ``float`` holding exactly the f32 value, rounded to single precision after
  every operation. An f32 NaN is the double NaN with the same sign and the f32
  payload shifted left by 29 (the quiet bits coincide), so signalling payloads
  survive ``neg``, ``abs``, ``copysign``, loads, stores and reinterpretation.
  Convert between f32 bits and this float only with ``f32_from_bits`` and
  ``f32_to_bits``: C's float->double conversion (``struct``'s ``'f'``) quiets
  signalling NaNs on x86.
* v128: ``int`` in ``[0, 2**128)``, lane 0 in the low bits (why: see ``simd``).
"""

from __future__ import annotations

from .scalar import I64_SIGNED, i64_of, f32_from_bits, f32_round, f32_to_bits, f64_from_bits, f64_to_bits
from .simd import SIMD
from .templates import (ABSORBS, HELPERS, ROTATES, ROUNDED, SCALAR, UNWRAPPED, Template, evaluator,
                        helper_namespace, names, render_rotate, render_unwrapped, unwrapped, Atom, Wrapped)

NUMERIC = {**SCALAR, **SIMD}
"""Every numeric instruction's template, scalar and SIMD."""

__all__ = [
    "ABSORBS", "HELPERS", "I64_SIGNED", "i64_of", "SCALAR", "SIMD", "NUMERIC", "Template", "evaluator", "helper_namespace",
    "names", "ROTATES", "ROUNDED", "UNWRAPPED", "render_rotate", "render_unwrapped", "unwrapped", "Atom", "Wrapped",
    "f32_from_bits", "f32_to_bits", "f64_from_bits", "f64_to_bits", "f32_round",
]
