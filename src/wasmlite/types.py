"""The public type objects: value, function, memory, table and global types, and the
import/export descriptions of a ``Module``.

They wrap the abstract syntax's types (``syntax``) with the names embedders know
from wasmtime-py: ``ValType.i32()``, ``FuncType([params], [results])`` ...
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Union

from . import syntax

__all__ = [
    "ExportType", "ExternType", "FuncType", "GlobalType", "ImportType", "MemoryType",
    "TableType", "ValType", "extern_type",
]


class ValType:
    """A value type; made by ``ValType.i32()``, ``.i64()``, ``.f32()``, ``.f64()``,
    ``.v128()``, ``.funcref()``, ``.externref()``; equal when the types are."""

    __slots__ = ("code",)

    _BY_CODE: Dict[int, "ValType"] = {}

    def __init__(self, code: int) -> None:
        if code not in syntax.VALTYPE_NAMES:
            raise ValueError(f"not a value type code: {code!r}")
        self.code = code

    @classmethod
    def of(cls, code: int) -> "ValType":
        """The value type of a binary-format type code (``0x7F`` is i32)."""
        t = cls._BY_CODE.get(code)
        if t is None:
            t = cls._BY_CODE[code] = cls(code)
        return t

    @classmethod
    def from_name(cls, name: str) -> "ValType":
        """The value type named ``name`` (``"i32"`` ... ``"externref"``)."""
        code = syntax.VALTYPE_BY_NAME.get(name)
        if code is None:
            raise ValueError(f"not a value type name: {name!r}")
        return cls.of(code)

    @classmethod
    def i32(cls) -> "ValType":
        """The 32-bit integer type."""
        return cls.of(syntax.I32)

    @classmethod
    def i64(cls) -> "ValType":
        """The 64-bit integer type."""
        return cls.of(syntax.I64)

    @classmethod
    def f32(cls) -> "ValType":
        """The single-precision float type."""
        return cls.of(syntax.F32)

    @classmethod
    def f64(cls) -> "ValType":
        """The double-precision float type."""
        return cls.of(syntax.F64)

    @classmethod
    def v128(cls) -> "ValType":
        """The 128-bit vector type (a Python int in [0, 2**128))."""
        return cls.of(syntax.V128)

    @classmethod
    def funcref(cls) -> "ValType":
        """A reference to a function (a ``Func`` or None)."""
        return cls.of(syntax.FUNCREF)

    @classmethod
    def externref(cls) -> "ValType":
        """A reference to any host value (the value itself, or None for null)."""
        return cls.of(syntax.EXTERNREF)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ValType) and other.code == self.code

    def __hash__(self) -> int:
        return hash(self.code)

    def __str__(self) -> str:
        return syntax.valtype_name(self.code)

    def __repr__(self) -> str:
        return f"ValType.{self}()"


def _valtypes(types: Iterable[Union[ValType, str]]) -> List[ValType]:
    out = []
    for t in types:
        if isinstance(t, str):
            t = ValType.from_name(t)
        if not isinstance(t, ValType):
            raise TypeError(f"not a ValType: {t!r}")
        out.append(t)
    return out


class FuncType:
    """The type of a function: ``FuncType([ValType.i32()], [ValType.i64()])``; value
    types may also be given by name (``FuncType(["i32"], ["i64"])``)."""

    __slots__ = ("params", "results", "syntax")

    def __init__(self, params: Iterable[Union[ValType, str]], results: Iterable[Union[ValType, str]]) -> None:
        self.params: List[ValType] = _valtypes(params)
        self.results: List[ValType] = _valtypes(results)
        self.syntax = syntax.FuncType(tuple(t.code for t in self.params), tuple(t.code for t in self.results))

    @classmethod
    def of(cls, ft: syntax.FuncType) -> "FuncType":
        """The public form of a syntax-level function type."""
        return cls([ValType.of(c) for c in ft.params], [ValType.of(c) for c in ft.results])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FuncType) and other.syntax == self.syntax

    def __hash__(self) -> int:
        return hash(self.syntax)

    def __repr__(self) -> str:
        return f"FuncType({[str(t) for t in self.params]}, {[str(t) for t in self.results]})"


class MemoryType:
    """A memory type: sizes in 64 KiB pages, ``maximum`` None for none."""

    __slots__ = ("minimum", "maximum")

    def __init__(self, minimum: int, maximum: Optional[int] = None) -> None:
        self.minimum = minimum
        self.maximum = maximum

    @property
    def syntax(self) -> syntax.MemoryType:
        """The abstract-syntax form."""
        return syntax.MemoryType(syntax.Limits(self.minimum, self.maximum))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MemoryType) and (other.minimum, other.maximum) == (self.minimum, self.maximum)

    def __hash__(self) -> int:
        return hash((self.minimum, self.maximum))

    def __repr__(self) -> str:
        return f"MemoryType({self.minimum}, {self.maximum})"


class TableType:
    """A table type: the element type (funcref or externref) and sizes in elements."""

    __slots__ = ("element", "minimum", "maximum")

    def __init__(self, element: ValType, minimum: int, maximum: Optional[int] = None) -> None:
        if element.code not in syntax.REF_TYPES:
            raise TypeError(f"a table holds references, not {element}")
        self.element = element
        self.minimum = minimum
        self.maximum = maximum

    @property
    def syntax(self) -> syntax.TableType:
        """The abstract-syntax form."""
        return syntax.TableType(self.element.code, syntax.Limits(self.minimum, self.maximum))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TableType) and other.syntax == self.syntax

    def __hash__(self) -> int:
        return hash(self.syntax)

    def __repr__(self) -> str:
        return f"TableType({self.element!r}, {self.minimum}, {self.maximum})"


class GlobalType:
    """A global's type: its value type and whether it is mutable."""

    __slots__ = ("content", "mutable")

    def __init__(self, content: ValType, mutable: bool) -> None:
        self.content = content
        self.mutable = mutable

    @property
    def syntax(self) -> syntax.GlobalType:
        """The abstract-syntax form."""
        return syntax.GlobalType(self.content.code, self.mutable)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GlobalType) and other.syntax == self.syntax

    def __hash__(self) -> int:
        return hash(self.syntax)

    def __repr__(self) -> str:
        return f"GlobalType({self.content!r}, mutable={self.mutable})"


ExternType = Union[FuncType, TableType, MemoryType, GlobalType]


def extern_type(module: syntax.Module, kind: int, desc: syntax.ImportDesc) -> ExternType:
    """The public type of an import descriptor (a type index for functions)."""
    if kind == syntax.EXTERN_FUNC:
        return FuncType.of(module.types[desc])  # type: ignore[index]
    if kind == syntax.EXTERN_TABLE:
        assert isinstance(desc, syntax.TableType)
        return TableType(ValType.of(desc.elem), desc.limits.min, desc.limits.max)
    if kind == syntax.EXTERN_MEMORY:
        assert isinstance(desc, syntax.MemoryType)
        return MemoryType(desc.limits.min, desc.limits.max)
    assert isinstance(desc, syntax.GlobalType)
    return GlobalType(ValType.of(desc.valtype), desc.mutable)


class ImportType:
    """One import of a module: ``module``, ``name`` and the ``type`` it must have."""

    __slots__ = ("module", "name", "type", "kind")

    def __init__(self, module: str, name: str, type: ExternType, kind: int) -> None:
        self.module = module
        self.name = name
        self.type = type
        self.kind = kind  # syntax.EXTERN_*

    def __repr__(self) -> str:
        return f"ImportType({self.module!r}, {self.name!r}, {self.type!r})"


class ExportType:
    """One export of a module: its ``name`` and ``type``."""

    __slots__ = ("name", "type", "kind")

    def __init__(self, name: str, type: ExternType, kind: int) -> None:
        self.name = name
        self.type = type
        self.kind = kind  # syntax.EXTERN_*

    def __repr__(self) -> str:
        return f"ExportType({self.name!r}, {self.type!r})"
