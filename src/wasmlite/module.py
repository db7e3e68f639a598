"""``Module``: a decoded and validated WebAssembly module, from binary or text.

Validation is eager: a ``Module`` that exists is valid, so an invalid module never
reaches instantiation, as the spec requires. Function bodies are only walked (not
translated); translation happens later, per function, on first call. A binary that
validated before (same bytes, same validator sources) is not walked again: the disk
cache (``cachedir``) keeps an empty marker file per valid binary; like the tier-1
code kept there, the directory is trusted.
"""

from __future__ import annotations

import os
from typing import List, Optional, Union

from . import cachedir, syntax
from .decode import decode_module
from .types import ExportType, ImportType, extern_type
from .validate import validate_module

Source = Union[bytes, bytearray, memoryview, str]


def _to_binary_or_syntax(source: Source) -> syntax.Module:
    if isinstance(source, str):
        from .text import parse_module

        return parse_module(source)
    return decode_module(bytes(source))


_VALIDATOR_SOURCES = ("wasmlite.opcodes", "wasmlite.syntax", "wasmlite.decode.reader",
                      "wasmlite.decode.body", "wasmlite.decode.module", "wasmlite.validate.code",
                      "wasmlite.validate.fast", "wasmlite.validate.module", "wasmlite.module")


def _validated_marker(digest: str) -> Optional[str]:
    """The disk-cache file saying that the binary hashed to ``digest`` is valid
    (validated by these sources), or None when the disk cache is disabled. It sits
    in the directory that will hold the module's tier-1 code (``engine.cache``: named
    by the same hash), so a fresh cache makes one directory for both, not three
    (a ``mkdir`` took ~70 us on ext4 here, about what validating a small module does)."""
    d = cachedir.directory()
    if d is None:
        return None
    return os.path.join(d, digest[:2], f"{digest}-valid-{cachedir.source_stamp(_VALIDATOR_SOURCES)}")


def _mark(marker: str) -> None:
    try:
        os.close(cachedir.create(marker, 0, 0o666))
    except OSError:  # read-only or full disk: the cache is optional
        pass


class Module:
    """A compiled (decoded and validated) WebAssembly module.

    ``source`` is the binary format (bytes) or WebAssembly text (str).
    Raises ``DecodeError``, ``ParseError`` or ``ValidationError``.
    """

    def __init__(self, source: Source) -> None:
        self.syntax: syntax.Module = _to_binary_or_syntax(source)
        marker = None
        if not isinstance(source, str):  # one hash of the bytes, for this marker and tier 1's cache key
            self.syntax.digest = cachedir.hasher(source).hexdigest()
            marker = _validated_marker(self.syntax.digest)
        if marker is not None and os.path.exists(marker):
            self.syntax.validated = True  # these very bytes passed this very validator before
            return
        validate_module(self.syntax)
        if marker is not None:
            _mark(marker)

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
    def exports(self) -> List[ExportType]:
        """What the module exports, in order: each with its ``name`` and ``type``."""
        m = self.syntax
        spaces: List[List[syntax.ImportDesc]] = [list(m.func_types()), [], [], []]
        for imp in m.imports:
            if imp.kind != syntax.EXTERN_FUNC:
                spaces[imp.kind].append(imp.desc)
        spaces[syntax.EXTERN_TABLE] += m.tables
        spaces[syntax.EXTERN_MEMORY] += m.mems
        spaces[syntax.EXTERN_GLOBAL] += [g.type for g in m.globals]
        return [ExportType(e.name, extern_type(m, e.kind, spaces[e.kind][e.index]), e.kind)
                for e in m.exports]

    @property
    def imports(self) -> List[ImportType]:
        """What the module imports, in order: each with ``module``, ``name`` and ``type``."""
        m = self.syntax
        return [ImportType(i.module, i.name, extern_type(m, i.kind, i.desc), i.kind) for i in m.imports]

    def __repr__(self) -> str:
        return repr(self.syntax)
