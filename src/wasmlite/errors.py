"""The wasmlite error hierarchy.

Every failure that bad input can cause surfaces as a ``WasmError`` subclass, so an
embedder can catch one class and know that nothing else escapes.
"""

from __future__ import annotations

from typing import Optional


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


class Trap(WasmError):
    """A WebAssembly trap: execution stopped; ``message`` uses the spec's wording."""
