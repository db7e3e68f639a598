"""Run-time objects: what instantiation allocates and the engine reads and writes.

The classes here are plain data holders with the operations the spec defines on
them (grow, bounds); instantiation and the engine live elsewhere. Value
representation at run time: see ``wasmlite.numeric`` (i32/i64 as unsigned ints,
f32/f64 as floats, v128 as a 128-bit unsigned int); a reference is ``None``
(null), a ``Function`` (funcref) or an ``ExternRef`` (externref).
"""

from __future__ import annotations

from .objects import (
    ExternRef,
    Function,
    GlobalInstance,
    HostFunction,
    MemoryInstance,
    ModuleInstance,
    TableInstance,
    WasmFunction,
)

__all__ = [
    "ExternRef",
    "Function",
    "GlobalInstance",
    "HostFunction",
    "MemoryInstance",
    "ModuleInstance",
    "TableInstance",
    "WasmFunction",
]
