"""``Module``: a decoded and validated WebAssembly module, from binary or text.

Validation is eager: a ``Module`` that exists is valid, so an invalid module never
reaches instantiation, as the spec requires. Function bodies are only walked (not
translated); translation happens later, per function, on first call.
"""

from __future__ import annotations

import os
from typing import List, Union

from . import syntax
from .decode import decode_module
from .validate import validate_module

Source = Union[bytes, bytearray, memoryview, str]


def _to_binary_or_syntax(source: Source) -> syntax.Module:
    if isinstance(source, str):
        from .text import parse_module

        return parse_module(source)
    return decode_module(bytes(source))


class Module:
    """A compiled (decoded and validated) WebAssembly module.

    ``source`` is the binary format (bytes) or WebAssembly text (str).
    Raises ``DecodeError``, ``ParseError`` or ``ValidationError``.
    """

    def __init__(self, source: Source) -> None:
        self.syntax: syntax.Module = _to_binary_or_syntax(source)
        validate_module(self.syntax)

    @classmethod
    def from_file(cls, path: Union[str, "os.PathLike[str]"]) -> "Module":
        """Load a ``.wasm`` binary or a ``.wat`` text file (text is recognised by content)."""
        with open(path, "rb") as f:
            data = f.read()
        if data[:4] == b"\0asm":
            return cls(data)
        try:
            return cls(data.decode("utf-8"))
        except UnicodeDecodeError:
            return cls(data)  # neither text nor a wasm header: let the decoder say why

    @staticmethod
    def validate(source: Source) -> None:
        """Raise the error that makes ``source`` unusable, or return None if it is valid."""
        validate_module(_to_binary_or_syntax(source))

    @property
    def exports(self) -> List[syntax.Export]:
        return list(self.syntax.exports)

    @property
    def imports(self) -> List[syntax.Import]:
        return list(self.syntax.imports)

    def __repr__(self) -> str:
        return repr(self.syntax)
