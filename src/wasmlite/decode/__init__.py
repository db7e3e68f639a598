"""The binary decoder: bytes -> ``syntax.Module``, with function bodies read lazily.

``decode_module`` checks everything but the function bodies; the validator walks
each body with ``read_locals`` and ``read_instr`` (from ``decode.body``), which
report malformed code as ``DecodeError`` too.
"""

from __future__ import annotations

from .body import read_instr, read_locals
from .module import decode_module

__all__ = ["decode_module", "read_instr", "read_locals"]
