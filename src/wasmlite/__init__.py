"""wasmlite: a WebAssembly runtime in pure Python.

The embedding API (see ``docs/api.md``): ``Store``, ``Module``, ``Linker``,
``Instance``, ``Func``, ``Memory``, ``Table``, ``Global``, the types (``ValType``,
``FuncType`` ...) and the errors, all importable from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api import Caller, Exports, F32Bits, F64Bits, Func, Global, Instance, Linker, Memory, Store, Table
from .errors import DecodeError, ExitError, LinkError, ParseError, Trap, TrapCode, TrapFrame, ValidationError, WasmError
from .module import Module
from .types import ExportType, FuncType, GlobalType, ImportType, MemoryType, TableType, ValType

if TYPE_CHECKING:
    from .wasi import WasiConfig

__version__ = "0.1.0"

__all__ = [
    "Caller",
    "DecodeError",
    "ExitError",
    "ExportType",
    "Exports",
    "F32Bits",
    "F64Bits",
    "Func",
    "FuncType",
    "Global",
    "GlobalType",
    "ImportType",
    "Instance",
    "LinkError",
    "Linker",
    "Memory",
    "MemoryType",
    "Module",
    "ParseError",
    "Store",
    "Table",
    "TableType",
    "Trap",
    "TrapCode",
    "TrapFrame",
    "ValType",
    "ValidationError",
    "WasiConfig",
    "WasmError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """``WasiConfig``, imported on first use: WASI's modules are a quarter of the
    package's import time, and most embedders never run a WASI program."""
    if name == "WasiConfig":
        from .wasi import WasiConfig

        return WasiConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
