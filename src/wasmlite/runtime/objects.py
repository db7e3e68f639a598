"""Function, memory, table and global instances, and the module instance holding them."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

from .. import syntax

if TYPE_CHECKING:
    import mmap

PAGE_SIZE = 65536
MAX_PAGES = 65535
"""An implementation limit on a memory's size: 4 GiB less one page (the spec lets
``memory.grow`` fail for want of resources, and instantiation too). So an access
that did not trap was at least 64 KiB below 2**32: tier 1 knows ``p + 1`` after a
byte read at ``p`` does not wrap (``engine.intervals``)."""
MAX_TABLE_ELEMENTS = 10_000_000
"""An implementation limit on a table's size (the spec lets ``table.grow`` fail for
want of resources): a table is a Python list, 8 bytes an element, so a guest
growing a table without a maximum by 2**31 would otherwise take 16 GiB."""
MMAP_MIN_BYTES = 1 << 20
"""A memory created at least this big is an anonymous private ``mmap`` where those
grow in place (``_mmap_grows``): the kernel zero-fills its pages on first touch, so
a C program's 16 MiB costs ~0.03 ms to make, not the ~9 ms of bytearray's memset
and page faults (half of a kernel's cold start), and pages never touched never
become resident. Below 1 MiB the memset costs under ~0.6 ms, and each map is one
kernel mapping more (``vm.max_map_count``, 65530 a process by default) for the
many small memories of tests and spec modules. A memory that starts smaller stays
a bytearray as it grows."""
_mmap_probe: List[bool] = []


def _mmap_grows() -> bool:
    """Whether an anonymous map can ``resize`` in place, zero-filled (probed once):
    CPython on Linux (``mremap``). macOS and others have no ``mremap`` (resize
    raises), Pyodide no mmap, and PyPy's mmap resizes under live memoryviews
    (the views ``grow`` must be refused under), so those keep bytearray."""
    if not _mmap_probe:
        ok = False
        if sys.implementation.name == "cpython" and sys.platform.startswith("linux"):
            try:
                import mmap

                m = mmap.mmap(-1, PAGE_SIZE, flags=mmap.MAP_PRIVATE)
                m.resize(2 * PAGE_SIZE)
                ok = len(m) == 2 * PAGE_SIZE and m[-1] == 0
                m.close()
            except (ImportError, AttributeError, OSError, ValueError, SystemError):
                pass
        _mmap_probe.append(ok)
    return _mmap_probe[0]


def zeroed(size: int) -> Union[bytearray, "mmap.mmap"]:
    """``size`` zero bytes, writable and resizable in place: an anonymous mmap when
    big enough and ``_mmap_grows``, else (or when the map fails) a bytearray."""
    if size >= MMAP_MIN_BYTES and _mmap_grows():
        import mmap

        try:
            return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)  # private: a fork copies it, as a bytearray
        except OSError:  # (ENOMEM, or a mapping limit): bytearray's MemoryError is what callers expect
            pass
    return bytearray(size)


class Function:
    """A function instance (a funcref value); ``type`` is its ``syntax.FuncType``."""

    __slots__ = ("type",)

    def __init__(self, type: syntax.FuncType) -> None:
        self.type = type


class WasmFunction(Function):
    """A function defined by a module: ``instance.module.codes[index - imported]``.

    ``compiled`` is the engine's per-function state (IR, generated code, call
    counters), filled lazily on first call and shared by nobody else.
    """

    __slots__ = ("instance", "index", "body", "compiled")

    def __init__(self, type: syntax.FuncType, instance: "ModuleInstance", index: int,
                 body: syntax.FuncBody) -> None:
        super().__init__(type)
        self.instance = instance
        self.index = index  # in the defining module's function index space
        self.body = body
        self.compiled: Any = None

    def __repr__(self) -> str:
        name = self.instance.module.names.funcs.get(self.index)
        return f"<wasm function {self.index}{' ' + name if name else ''} {self.type}>"


class HostFunction(Function):
    """A function given by the embedder: ``callable(*args)`` returns None, a value or a tuple.

    ``direct``, when set, is a callable the engine may call instead, without any
    checking: it takes and returns run-time values (None, the value, or a tuple,
    as many as the type says) and raises nothing but ``Trap`` or ``HostError``.
    The embedding API builds one per host function, so wasm reaches Python in
    one call.
    """

    __slots__ = ("callable", "name", "direct")

    def __init__(self, type: syntax.FuncType, callable: Callable[..., Any], name: str = "",
                 direct: Optional[Callable[..., Any]] = None) -> None:
        super().__init__(type)
        self.callable = callable
        self.name = name
        self.direct = direct

    def __repr__(self) -> str:
        return f"<host function {self.name or self.callable!r} {self.type}>"


class ExternRef:
    """A non-null externref: wraps any host value; equal when the values are."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExternRef) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"ExternRef({self.value!r})"


class MemoryInstance:
    """A linear memory: ``data`` is a writable bytes-like buffer of ``pages * PAGE_SIZE``
    bytes, a bytearray or (see ``MMAP_MIN_BYTES``) an ``mmap.mmap``: use only what
    both have (indexing, equal-length slice assignment, slices as bytes-like, the
    buffer protocol, ``find`` of a bytes-like needle, ``len``).

    ``grow`` replaces nothing: it extends ``data`` in place, so the engine may keep
    a reference to the buffer across calls. A memoryview would block resizing:
    the engine keeps none but those of ``view`` (tier 1's aligned accesses), which
    ``grow`` releases and renews, updating the closure cells ``watch`` was given.
    ``limiter``, when set (the embedder's memory cap), is asked
    ``limiter(self, new_pages)`` before growing and may refuse.
    """

    __slots__ = ("type", "data", "max", "limiter", "views", "cells")

    def __init__(self, type: syntax.MemoryType) -> None:
        if type.limits.min > MAX_PAGES:
            raise MemoryError(f"a memory of {type.limits.min} pages exceeds the implementation limit of {MAX_PAGES}")
        self.type = type
        self.data = zeroed(type.limits.min * PAGE_SIZE)
        self.max = MAX_PAGES if type.limits.max is None else min(type.limits.max, MAX_PAGES)
        self.limiter: Optional[Callable[["MemoryInstance", int], bool]] = None
        self.views: Dict[str, memoryview] = {}
        self.cells: List[Any] = []  # (format, closure cell holding that view)

    @property
    def pages(self) -> int:
        return len(self.data) // PAGE_SIZE

    def view(self, fmt: str) -> memoryview:
        """``data`` as an array of ``fmt`` items (a native ``struct`` format: "I", "Q", "H")."""
        v = self.views.get(fmt)
        if v is None:
            v = self.views[fmt] = memoryview(self.data).cast(fmt)  # type: ignore[call-overload]
        return v

    def watch(self, fmt: str, cell: Any) -> None:
        """Keep closure ``cell`` holding ``view(fmt)`` across growth."""
        self.cells.append((fmt, cell))

    def grow(self, delta: int) -> int:
        """Add ``delta`` pages; the old size in pages, or -1 (as ``memory.grow`` says) if not possible."""
        old = self.pages
        if old + delta > self.max:
            return -1
        if self.limiter is not None and not self.limiter(self, old + delta):
            return -1
        if delta:
            for v in self.views.values():
                v.release()
            self.views = {}
            try:
                if isinstance(self.data, bytearray):
                    self.data.extend(bytes(delta * PAGE_SIZE))
                else:  # an mmap: mremap, zero-filled; on failure unchanged
                    self.data.resize((old + delta) * PAGE_SIZE)
            except (MemoryError, BufferError, OSError, ValueError, SystemError):  # BufferError: the host holds a view
                return -1
            finally:
                for fmt, cell in self.cells:
                    cell.cell_contents = self.view(fmt)
        return old


class TableInstance:
    """A table of references; ``elements`` is a list of ``None`` / ``Function`` / ``ExternRef``."""

    __slots__ = ("type", "elements", "max")

    def __init__(self, type: syntax.TableType, init: Any = None) -> None:
        self.type = type
        self.elements: List[Any] = [init] * type.limits.min
        self.max = 0xFFFFFFFF if type.limits.max is None else type.limits.max

    def grow(self, delta: int, init: Any) -> int:
        """Add ``delta`` entries set to ``init``; the old size, or -1 if not possible."""
        old = len(self.elements)
        if old + delta > min(self.max, MAX_TABLE_ELEMENTS):
            return -1
        self.elements.extend([init] * delta)
        return old


class GlobalInstance:
    """A global variable; ``value`` in the run-time representation of its type."""

    __slots__ = ("type", "value")

    def __init__(self, type: syntax.GlobalType, value: Any) -> None:
        self.type = type
        self.value = value


class ModuleInstance:
    """Everything one instantiation allocated or imported, in index-space order.

    ``metered`` asks the engine for code that spends fuel (see ``engine.interp``);
    it must be set before any of the instance's functions first runs.
    """

    def __init__(self, module: syntax.Module, metered: bool = False) -> None:
        self.module = module
        self.metered = metered
        self.types: List[syntax.FuncType] = module.types
        self.funcs: List[Function] = []
        self.tables: List[TableInstance] = []
        self.mems: List[MemoryInstance] = []
        self.globals: List[GlobalInstance] = []
        self.elems: List[List[Any]] = []  # emptied by elem.drop (and after active init)
        self.datas: List[bytes] = []  # emptied by data.drop (and after active init)
        self.exports: Dict[str, Any] = {}
        self.loaded_under: Dict[int, List[Any]] = {}  # the engine's: export -> what its calls loaded
