"""The abstract syntax of a WebAssembly module: what decoding and text parsing produce.

The binary decoder (``wasmlite.decode``) and the text parser (``wasmlite.text``) both
produce a ``Module`` of this file; the binary encoder (``wasmlite.encode``) turns one
back into bytes, and the validator and translator read it. Nothing here knows about
bytes on the wire except ``FuncBody`` and ``Expr``, which keep their encoded code so
that bodies are parsed lazily, when first needed.

Value types are the small ints of their binary encoding (``I32 = 0x7F`` ...), which
keeps type stacks cheap to compare. A block type is the signed 33-bit value of its
binary encoding: ``BLOCK_EMPTY`` (-64) for no result, ``valtype - 0x80`` (negative)
for a single result, and a type index (>= 0) otherwise; ``blocktype_signature``
turns any of them into ``(params, results)``.
"""

from __future__ import annotations

from typing import Dict, List, NamedTuple, Optional, Tuple, Union

# -- value types ---------------------------------------------------------------------

I32 = 0x7F
I64 = 0x7E
F32 = 0x7D
F64 = 0x7C
V128 = 0x7B
FUNCREF = 0x70
EXTERNREF = 0x6F

NUM_TYPES = (I32, I64, F32, F64)
REF_TYPES = (FUNCREF, EXTERNREF)
VALUE_TYPES = (I32, I64, F32, F64, V128, FUNCREF, EXTERNREF)

VALTYPE_NAMES: Dict[int, str] = {
    I32: "i32",
    I64: "i64",
    F32: "f32",
    F64: "f64",
    V128: "v128",
    FUNCREF: "funcref",
    EXTERNREF: "externref",
}
VALTYPE_BY_NAME: Dict[str, int] = {name: code for code, name in VALTYPE_NAMES.items()}


def valtype_name(t: Optional[int]) -> str:
    """The text-format name of a value type (``None`` is the validator's unknown type)."""
    if t is None:
        return "unknown"
    return VALTYPE_NAMES.get(t, f"<type {t:#x}>")


# -- block types ---------------------------------------------------------------------

BLOCK_EMPTY = -64


def blocktype_of_valtype(t: int) -> int:
    """The block type whose single result is value type ``t``."""
    return t - 0x80


def blocktype_signature(bt: int, types: List["FuncType"]) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """``(params, results)`` of block type ``bt``; raises IndexError on an unknown type index."""
    if bt == BLOCK_EMPTY:
        return (), ()
    if bt < 0:
        return (), (bt + 0x80,)
    ft = types[bt]
    return ft.params, ft.results


# -- types ---------------------------------------------------------------------------


class FuncType(NamedTuple):
    params: Tuple[int, ...]
    results: Tuple[int, ...]

    def __str__(self) -> str:
        p = " ".join(valtype_name(t) for t in self.params)
        r = " ".join(valtype_name(t) for t in self.results)
        return f"[{p}] -> [{r}]"


class Limits(NamedTuple):
    min: int
    max: Optional[int] = None


class TableType(NamedTuple):
    elem: int  # a reference type
    limits: Limits


class MemoryType(NamedTuple):
    limits: Limits  # in 64 KiB pages


class GlobalType(NamedTuple):
    valtype: int
    mutable: bool


# External kinds, as numbered in the binary format's import and export sections.
EXTERN_FUNC = 0
EXTERN_TABLE = 1
EXTERN_MEMORY = 2
EXTERN_GLOBAL = 3
EXTERN_KIND_NAMES = ("func", "table", "memory", "global")

ImportDesc = Union[int, TableType, MemoryType, GlobalType]  # int: a type index


class Import(NamedTuple):
    module: str
    name: str
    kind: int  # EXTERN_*
    desc: ImportDesc


class Export(NamedTuple):
    name: str
    kind: int  # EXTERN_*
    index: int  # type: ignore[assignment]  # the field shadows tuple.index on purpose: the spec's name


# -- code ----------------------------------------------------------------------------


class Expr:
    """An encoded instruction sequence ending in ``end`` (a constant expression).

    ``offset`` is where ``code`` starts in the module's binary (0 for modules made
    from text); it is for error messages only and takes no part in equality.
    """

    __slots__ = ("code", "offset")

    def __init__(self, code: bytes, offset: int = 0) -> None:
        self.code = bytes(code)
        self.offset = offset

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expr) and other.code == self.code

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"Expr({self.code.hex()})"


class FuncBody:
    """One entry of the code section, kept encoded until first needed.

    ``source[start:end]`` is the body as it stands in the binary: the locals
    declaration, then the instructions up to and including the final ``end``.
    Nothing is parsed at decode time; ``wasmlite.decode.body`` reads the locals
    and instructions for whoever walks them (validator, translator). Equality
    compares the encoded body only.
    """

    __slots__ = ("source", "start", "end")

    def __init__(self, source: bytes, start: int, end: int) -> None:
        self.source = source
        self.start = start
        self.end = end

    def body_bytes(self) -> bytes:
        return bytes(self.source[self.start : self.end])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FuncBody) and other.body_bytes() == self.body_bytes()

    def __hash__(self) -> int:
        return hash(self.body_bytes())

    def __repr__(self) -> str:
        return f"FuncBody({self.end - self.start} bytes at {self.start:#x})"


class Global(NamedTuple):
    type: GlobalType
    init: Expr


# Segment modes.
ACTIVE = "active"
PASSIVE = "passive"
DECLARATIVE = "declarative"


class Elem(NamedTuple):
    """An element segment; ``init`` holds one constant expression per element
    (function-index encodings are normalised to ``ref.func`` expressions)."""

    type: int  # a reference type
    init: Tuple[Expr, ...]
    mode: str  # ACTIVE, PASSIVE or DECLARATIVE
    table: int = 0  # active only
    offset: Optional[Expr] = None  # active only


class Data(NamedTuple):
    init: bytes
    mode: str  # ACTIVE or PASSIVE
    memory: int = 0  # active only
    offset: Optional[Expr] = None  # active only


class Names:
    """The name section's contents: names for backtraces and ``explore``."""

    __slots__ = ("module", "funcs", "locals")

    def __init__(
        self,
        module: Optional[str] = None,
        funcs: Optional[Dict[int, str]] = None,
        locals: Optional[Dict[int, Dict[int, str]]] = None,
    ) -> None:
        self.module = module
        self.funcs: Dict[int, str] = funcs if funcs is not None else {}
        self.locals: Dict[int, Dict[int, str]] = locals if locals is not None else {}

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Names)
            and (self.module, self.funcs, self.locals) == (other.module, other.funcs, other.locals)
        )

    def __repr__(self) -> str:
        return f"Names(module={self.module!r}, funcs={self.funcs!r}, locals={self.locals!r})"


class Module:
    """A decoded (not yet validated) module, in the order of the binary sections.

    ``funcs`` holds the type index of each *defined* function and ``codes`` its body,
    index for index; imported functions come first in the function index space.
    """

    __slots__ = (
        "types", "imports", "funcs", "tables", "mems", "globals", "exports",
        "start", "elems", "datas", "data_count", "codes", "customs", "names", "validated", "digest",
    )

    def __init__(self) -> None:
        self.types: List[FuncType] = []
        self.imports: List[Import] = []
        self.funcs: List[int] = []
        self.tables: List[TableType] = []
        self.mems: List[MemoryType] = []
        self.globals: List[Global] = []
        self.exports: List[Export] = []
        self.start: Optional[int] = None
        self.elems: List[Elem] = []
        self.datas: List[Data] = []
        self.data_count: Optional[int] = None
        self.codes: List[FuncBody] = []
        self.customs: List[Tuple[str, bytes]] = []  # every custom section but "name"
        self.names = Names()
        self.validated = False  # set once every rule was checked (the translator trusts it)
        self.digest: Optional[str] = None  # the hash of the binary it was decoded from (``module.Module``)

    def imports_of(self, kind: int) -> List[Import]:
        return [imp for imp in self.imports if imp.kind == kind]

    def func_types(self) -> List[int]:
        """Type index of every function in the function index space (imports first)."""
        out = [imp.desc for imp in self.imports if imp.kind == EXTERN_FUNC]
        out.extend(self.funcs)
        return out  # type: ignore[return-value]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Module):
            return NotImplemented
        return all(getattr(self, s) == getattr(other, s) for s in self.__slots__ if s != "digest")

    def __repr__(self) -> str:
        return (
            f"<Module types={len(self.types)} imports={len(self.imports)} "
            f"funcs={len(self.funcs)} exports={len(self.exports)}>"
        )
