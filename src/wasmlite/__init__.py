"""wasmlite: a WebAssembly runtime in pure Python."""

from __future__ import annotations

from .errors import DecodeError, LinkError, ParseError, Trap, ValidationError, WasmError
from .module import Module

__version__ = "0.1.0"

__all__ = [
    "DecodeError",
    "LinkError",
    "Module",
    "ParseError",
    "Trap",
    "ValidationError",
    "WasmError",
    "__version__",
]
