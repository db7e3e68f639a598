"""The wasmlite error hierarchy.

Every failure that bad input can cause surfaces as a ``WasmError`` subclass, so an
embedder can catch one class and know that nothing else escapes.
"""

from __future__ import annotations

import enum
from typing import List, NamedTuple, Optional


class WasmError(Exception):
    """Base class of every error wasmlite raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DecodeError(WasmError):
    """The binary format is malformed; ``offset`` is the byte where it went wrong."""

    def __init__(self, message: str, offset: Optional[int] = None) -> None:
        super().__init__(message)
        self.offset = offset

    def __str__(self) -> str:
        if self.offset is None:
            return self.message
        return f"{self.message} (at byte offset {self.offset:#x})"


class ParseError(WasmError):
    """WebAssembly text (WAT or WAST) is malformed; position is 1-based line and column."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if not self.line:
            return self.message
        return f"{self.message} (at line {self.line}, column {self.column})"


class ValidationError(WasmError):
    """The module is well formed but not valid.

    ``func_index`` is the index (in the function index space) of the function whose
    body failed, if any; ``offset`` the byte offset of the offending instruction.
    """

    def __init__(
        self, message: str, func_index: Optional[int] = None, offset: Optional[int] = None
    ) -> None:
        super().__init__(message)
        self.func_index = func_index
        self.offset = offset

    def __str__(self) -> str:
        where = []
        if self.func_index is not None:
            where.append(f"in function {self.func_index}")
        if self.offset is not None:
            where.append(f"at byte offset {self.offset:#x}")
        return f"{self.message} ({', '.join(where)})" if where else self.message


class LinkError(WasmError):
    """An import could not be satisfied (unknown import, incompatible import type)."""


class TrapFrame(NamedTuple):
    """One wasm function on the stack when a trap happened."""

    func_index: int
    name: Optional[str]  # from the module's name section
    module: Optional[str]  # the module's name, from the name section


class TrapCode(enum.Enum):
    """Why a trap happened: the spec's trap kinds, and the embedder's limits."""

    UNREACHABLE = "unreachable"
    INT_DIVIDE_BY_ZERO = "integer divide by zero"
    INT_OVERFLOW = "integer overflow"
    BAD_CONVERSION_TO_INTEGER = "invalid conversion to integer"
    MEMORY_OUT_OF_BOUNDS = "out of bounds memory access"
    TABLE_OUT_OF_BOUNDS = "out of bounds table access"
    UNDEFINED_ELEMENT = "undefined element"
    UNINITIALIZED_ELEMENT = "uninitialized element"
    BAD_SIGNATURE = "indirect call type mismatch"
    STACK_OVERFLOW = "call stack exhausted"
    OUT_OF_FUEL = "all fuel consumed"
    INTERRUPT = "interrupted"
    HOST = "host trap"
    """A host function raised ``Trap`` with a message of its own."""


_CODE_OF_MESSAGE = {c.value: c for c in TrapCode}


class Trap(WasmError):
    """A WebAssembly trap: execution stopped; ``message`` uses the spec's wording and
    ``code`` (a ``TrapCode``) says which kind of trap it is.

    ``frames`` is the wasm backtrace, innermost function first; the engine adds a
    frame as the trap unwinds each wasm call.
    """

    def __init__(self, message: str, code: Optional[TrapCode] = None) -> None:
        super().__init__(message)
        self.code: TrapCode = code or _CODE_OF_MESSAGE.get(message, TrapCode.HOST)
        self.frames: List[TrapFrame] = []

    def backtrace(self, limit: int = 40) -> str:
        """The wasm backtrace as lines like ``  0: fib (function 1)``; past ``limit``
        frames (deep recursion) the rest is counted, not listed."""
        lines = []
        for n, f in enumerate(self.frames[:limit]):
            where = f"{f.module}!" if f.module else ""
            name = f.name if f.name is not None else "<unnamed>"
            lines.append(f"  {n}: {where}{name} (function {f.func_index})")
        if len(self.frames) > limit:
            lines.append(f"  ... {len(self.frames) - limit} more frames")
        return "\n".join(lines)


class ExitError(WasmError):
    """The guest asked to exit (WASI ``proc_exit``); ``code`` is its exit status.

    Not a trap: it unwinds every wasm frame untouched and is the normal way a WASI
    program ends with a status.
    """

    def __init__(self, code: int) -> None:
        super().__init__(f"exited with status {code}")
        self.code = code


class HostError(Exception):
    """Carries an exception raised by a host function through the wasm frames above it.

    Not a ``WasmError``: no handler in the engine (the trap handlers, tier 1's
    ``struct.error`` handler for memory accesses) can mistake it for its own, and the
    engine's way out (``engine.call``, the API's ``Func``) raises ``error`` again,
    the very object the host function raised.
    """

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error
