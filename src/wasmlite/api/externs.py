"""The objects a store holds, as Python sees them: ``Func``, ``Memory``, ``Table``,
``Global``, and the ``Caller`` a host function may ask for.

Each wraps a run-time object (``wasmlite.runtime``) and belongs to one ``Store``;
``Store._wrap`` gives the same wrapper for the same run-time object every time.
"""

from __future__ import annotations

import types
import typing
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from .. import engine
from ..errors import Trap, TrapCode, WasmError
from ..runtime.objects import (
    Function,
    GlobalInstance,
    HostFunction,
    MemoryInstance,
    TableInstance,
    WasmFunction,
)
from ..types import FuncType, GlobalType, MemoryType, TableType, ValType
from .boundary import call_method, host_adapter, value_in, value_out

if TYPE_CHECKING:
    from .instance import Exports, Instance
    from .store import Store

__all__ = ["Caller", "Extern", "Func", "Global", "HostDef", "Memory", "Table", "wrap"]


class Caller:
    """What a host function defined with ``access_caller=True`` gets first: the
    instance that imported it (its ``exports``, its ``memory``)."""

    __slots__ = ("store", "_instance")

    def __init__(self, store: "Store") -> None:
        self.store = store
        self._instance: Optional["Instance"] = None

    @property
    def instance(self) -> "Instance":
        """The calling instance."""
        if self._instance is None:
            raise WasmError("this host function was called from Python, not from an instance")
        return self._instance

    @property
    def exports(self) -> "Exports":
        """The calling instance's exports."""
        return self.instance.exports

    @property
    def memory(self) -> "Memory":
        """The calling instance's memory 0, exported or not."""
        runtime = self.instance._runtime
        mems = runtime.mems if runtime is not None else []
        if not mems:
            raise WasmError("the calling instance has no memory")
        m = self.store._wrap(mems[0])
        assert isinstance(m, Memory)
        return m


def _valtype_of(annotation: Any, where: str) -> ValType:
    if isinstance(annotation, ValType):
        return annotation
    if annotation is int or annotation == "int":
        return ValType.i32()
    if annotation is float or annotation == "float":
        return ValType.f64()
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        try:
            return ValType.from_name(annotation.strip("'\""))
        except ValueError:
            pass
    raise TypeError(f"cannot tell the wasm type of {where} from its annotation {annotation!r}: "
                    "use int (i32), float (f64), a ValType or a type name such as 'i64', or give a FuncType")


def functype_from_annotations(fn: Callable[..., Any], access_caller: bool) -> FuncType:
    """The ``FuncType`` a host function's annotations describe: parameters annotated
    ``int`` are i32, ``float`` f64, a ``ValType`` or a type name (``"i64"``) that
    type; the return annotation is None, one of those, or a ``Tuple`` of them."""
    names = dict(getattr(fn, "__globals__", {}))
    names.update((n, ValType.from_name(n)) for n in ("i32", "i64", "f32", "f64", "v128", "funcref", "externref"))
    hints: Dict[str, Any] = {}
    for name, a in getattr(fn, "__annotations__", {}).items():
        if isinstance(a, str):  # postponed (``from __future__ import annotations``) or quoted
            try:
                a = eval(a, names)  # noqa: S307 (the function's own annotation)
            except Exception:
                pass  # left as text: a type name is still understood
        hints[name] = a
    import inspect  # (~6 ms of import, for host functions typed by annotations only)

    params = list(inspect.signature(fn).parameters.values())
    if access_caller:
        params = params[1:]
    param_types = []
    for p in params:
        if p.name not in hints:
            raise TypeError(f"parameter {p.name!r} of {fn!r} has no annotation: give a FuncType")
        param_types.append(_valtype_of(hints[p.name], f"parameter {p.name!r}"))
    ret = hints.get("return", inspect.Signature.empty)
    if ret is inspect.Signature.empty:
        raise TypeError(f"{fn!r} has no return annotation (use -> None): give a FuncType")
    if ret is None or ret is type(None) or ret == "None":
        results: List[ValType] = []
    elif getattr(ret, "__origin__", None) is tuple:
        results = [_valtype_of(a, "a result") for a in ret.__args__]
    else:
        results = [_valtype_of(ret, "the result")]
    return FuncType(param_types, results)


class HostDef:
    """A Python callable to be made a host function: per store, and per calling
    instance when it takes the caller."""

    __slots__ = ("fn", "type", "access_caller", "raw")

    def __init__(self, fn: Callable[..., Any], type: Optional[FuncType], access_caller: bool, raw: bool) -> None:
        if not callable(fn):
            raise TypeError(f"a host function must be callable, not {fn!r}")
        self.fn = fn
        self.type = type if type is not None else functype_from_annotations(fn, access_caller)
        self.access_caller = access_caller
        self.raw = raw

    def function(self, store: "Store", caller: Optional[Caller]) -> HostFunction:
        """The run-time host function, converting values for ``store``."""
        ft = self.type.syntax
        direct = host_adapter(self.fn, ft.params, ft.results, caller if self.access_caller else None,
                              self.raw, store._func_in, store._func_out)
        return HostFunction(ft, direct, getattr(self.fn, "__name__", ""), direct)


class Func:
    """A function: exported by an instance, or made from a Python callable with
    ``Func(store, type, callable, access_caller=False, raw=False)`` (``type`` None:
    from the callable's annotations, as ``Linker.define_func`` says).

    Call it with Python values: ``f(2, 3)``; it returns None, the value, or a tuple
    for several results (see ``wasmlite.api.values`` for how values convert).
    ``f.raw`` is the same function returning f32/f64 results as ``F32Bits``/``F64Bits``.
    """

    __slots__ = ("store", "_function", "_host", "_raw")

    def __init__(self, store: "Store", type: Optional[FuncType], fn: Callable[..., Any],
                 access_caller: bool = False, raw: bool = False) -> None:
        self.store = store
        self._host: Optional[HostDef] = HostDef(fn, type, access_caller, raw)
        f = self._host.function(store, Caller(store))
        self._function: Function = f
        self._raw: Optional[Callable[..., Any]] = None
        store._externs[f] = self

    @classmethod
    def _of(cls, store: "Store", f: Function) -> "Func":
        """The API object of a run-time function: for a wasm function, an instance of
        the subclass whose ``__call__`` is generated for its signature."""
        if isinstance(f, WasmFunction):
            cls = _wasm_func_class(f.type.params, f.type.results, store._meter is not None)
        self = cls.__new__(cls)
        self.store = store
        self._host = None
        self._function = f
        self._raw = None
        return self

    def _call_host(self, args: Sequence[Any], raw: bool) -> Any:
        ft = self._function.type
        if len(args) != len(ft.params):
            raise TypeError(f"{self!r} takes {len(ft.params)} argument(s), got {len(args)}")
        values = tuple(value_in(t, a, self.store._func_in) for t, a in zip(ft.params, args))
        meter = self.store._meter
        token = meter.enter() if meter is not None else None
        try:
            r = engine.call(self._function, list(values))
        finally:
            if meter is not None:
                meter.leave(token)
        return _results_out(ft.results, r, self.store, raw)

    def __call__(self, *args: Any) -> Any:
        return self._call_host(args, False)

    @property
    def raw(self) -> Callable[..., Any]:
        """This function, with f32/f64 results as ``F32Bits``/``F64Bits`` (exact bits)."""
        if self._raw is None:
            f = self._function
            if isinstance(f, WasmFunction):
                self._raw = types.MethodType(call_method(f.type.params, f.type.results, True,
                                                         self.store._meter is not None), self)
            else:
                self._raw = lambda *args: self._call_host(args, True)
        return self._raw

    @property
    def type(self) -> FuncType:
        """The function's type."""
        return FuncType.of(self._function.type)

    def __repr__(self) -> str:
        return f"<Func {self._function!r}>"


_FUNC_CLASSES: Dict[Tuple[Tuple[int, ...], Tuple[int, ...], bool], type] = {}


def _wasm_func_class(params: Tuple[int, ...], results: Tuple[int, ...], metered: bool) -> type:
    """The ``Func`` subclass calling wasm functions of one signature (its ``__call__``
    converts and calls inline: no generic ``*args`` layer in between)."""
    key = (params, results, metered)
    c = _FUNC_CLASSES.get(key)
    if c is None:
        c = _FUNC_CLASSES[key] = type("Func", (Func,), {
            "__slots__": (), "__call__": call_method(params, results, False, metered),
            "__doc__": Func.__doc__, "__module__": __name__})
    return c


def _results_out(results: Sequence[int], r: List[Any], store: "Store", raw: bool) -> Any:
    out = tuple(value_out(t, v, store._func_out, raw) for t, v in zip(results, r))
    return out[0] if len(out) == 1 else (out or None)


def _oob() -> Trap:
    return Trap(TrapCode.MEMORY_OUT_OF_BOUNDS.value, TrapCode.MEMORY_OUT_OF_BOUNDS)


class Memory:
    """A linear memory: ``Memory(store, MemoryType(1))`` or an instance's export.

    ``read``/``write`` copy bytes out and in, with bounds checks (out of bounds is a
    ``Trap``, so a host function that reads a bad pointer traps the wasm calling
    it). ``view()`` is a zero-copy ``memoryview`` of the whole memory: while any view
    is held the memory cannot grow (``memory.grow`` returns -1 and ``grow`` raises),
    so release it (``with memory.view() as v:`` or ``v.release()``) when done (on
    PyPy a view dropped without release blocks growth until it is collected).
    """

    __slots__ = ("store", "_memory")

    def __init__(self, store: "Store", type: MemoryType) -> None:
        self.store = store
        try:
            self._memory = MemoryInstance(type.syntax)
        except MemoryError as exc:  # over the implementation limit, or the host is out of memory
            raise WasmError(f"cannot create a memory of {type.minimum} pages: {exc or 'out of host memory'}") from None
        store._adopt_memory(self._memory)
        store._externs[self._memory] = self

    @classmethod
    def _of(cls, store: "Store", m: MemoryInstance) -> "Memory":
        self = cls.__new__(cls)
        self.store = store
        self._memory = m
        return self

    @property
    def type(self) -> MemoryType:
        """The memory's type (its current minimum is its current size)."""
        m = self._memory
        return MemoryType(m.pages, m.type.limits.max)

    def size(self) -> int:
        """The size in 64 KiB pages."""
        return self._memory.pages

    def data_len(self) -> int:
        """The size in bytes."""
        return len(self._memory.data)

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (a ``Trap`` if out of bounds)."""
        data = self._memory.data
        if offset < 0 or length < 0 or offset + length > len(data):
            raise _oob()
        return bytes(data[offset:offset + length])

    def write(self, offset: int, data: Union[bytes, bytearray, memoryview]) -> None:
        """Copy ``data`` to ``offset`` (a ``Trap`` if out of bounds)."""
        buf = self._memory.data
        src = memoryview(data)
        if src.format != "B" or not src.c_contiguous:  # its bytes, not its items
            src = memoryview(src.tobytes())
        n = src.nbytes
        if offset < 0 or offset + n > len(buf):
            raise _oob()
        buf[offset:offset + n] = src

    def grow(self, delta: int) -> int:
        """Add ``delta`` pages; the old size in pages. Raises ``WasmError`` when the
        memory's maximum, the store's ``max_memory`` or a held ``view()`` forbids it."""
        if delta < 0:
            raise ValueError("delta must not be negative")
        old = self._memory.grow(delta)
        if old < 0:
            raise WasmError(f"cannot grow the memory by {delta} page(s) from {self.size()}")
        return old

    def view(self) -> memoryview:
        """A writable view of the whole memory, zero-copy (see the class docstring); of a
        bytearray or (for a memory created at 1 MiB or more on CPython/Linux) an
        anonymous mmap: use it as a buffer, not through ``view().obj``."""
        view = memoryview(self._memory.data)
        self.store._watch_view(self._memory, view)
        return view

    def __repr__(self) -> str:
        return f"<Memory {self.size()} pages>"


class Table:
    """A table of references: ``Table(store, TableType(ValType.funcref(), 1), None)``
    or an instance's export. Elements are ``Func``/None or Python objects/None."""

    __slots__ = ("store", "_table")

    def __init__(self, store: "Store", type: TableType, init: Any = None) -> None:
        self.store = store
        t = type.syntax
        self._table = TableInstance(t, value_in(t.elem, init, store._func_in))
        store._externs[self._table] = self

    @classmethod
    def _of(cls, store: "Store", t: TableInstance) -> "Table":
        self = cls.__new__(cls)
        self.store = store
        self._table = t
        return self

    @property
    def type(self) -> TableType:
        """The table's type (its current minimum is its current size)."""
        t = self._table
        return TableType(ValType.of(t.type.elem), len(t.elements), t.type.limits.max)

    def size(self) -> int:
        """The number of elements."""
        return len(self._table.elements)

    def _index(self, i: int) -> int:
        if not isinstance(i, int) or not 0 <= i < len(self._table.elements):
            raise Trap(TrapCode.TABLE_OUT_OF_BOUNDS.value, TrapCode.TABLE_OUT_OF_BOUNDS)
        return i

    def get(self, i: int) -> Any:
        """Element ``i`` (a ``Trap`` if out of bounds)."""
        return value_out(self._table.type.elem, self._table.elements[self._index(i)], self.store._func_out)

    def set(self, i: int, value: Any) -> None:
        """Set element ``i`` (a ``Trap`` if out of bounds)."""
        self._table.elements[self._index(i)] = value_in(self._table.type.elem, value, self.store._func_in)

    def grow(self, delta: int, init: Any = None) -> int:
        """Add ``delta`` elements set to ``init``; the old size. Raises ``WasmError``
        past the table's maximum."""
        old = self._table.grow(delta, value_in(self._table.type.elem, init, self.store._func_in))
        if old < 0:
            raise WasmError(f"cannot grow the table by {delta} from {self.size()}")
        return old

    def __repr__(self) -> str:
        return f"<Table {self.size()} elements>"


class Global:
    """A global: ``Global(store, GlobalType(ValType.i32(), True), 7)`` or an
    instance's export; ``value`` reads it and (when mutable) writes it."""

    __slots__ = ("store", "_global")

    def __init__(self, store: "Store", type: GlobalType, value: Any) -> None:
        self.store = store
        t = type.syntax
        self._global = GlobalInstance(t, value_in(t.valtype, value, store._func_in))
        store._externs[self._global] = self

    @classmethod
    def _of(cls, store: "Store", g: GlobalInstance) -> "Global":
        self = cls.__new__(cls)
        self.store = store
        self._global = g
        return self

    @property
    def type(self) -> GlobalType:
        """The global's type."""
        t = self._global.type
        return GlobalType(ValType.of(t.valtype), t.mutable)

    @property
    def value(self) -> Any:
        """The global's value."""
        return value_out(self._global.type.valtype, self._global.value, self.store._func_out)

    @value.setter
    def value(self, value: Any) -> None:
        t = self._global.type
        if not t.mutable:
            raise WasmError("cannot set an immutable global")
        self._global.value = value_in(t.valtype, value, self.store._func_in)

    @property
    def raw_value(self) -> Any:
        """The value, with f32/f64 as ``F32Bits``/``F64Bits`` (exact bits)."""
        return value_out(self._global.type.valtype, self._global.value, self.store._func_out, True)

    def __repr__(self) -> str:
        return f"<Global {self.type!r} = {self.value!r}>"


Extern = Union[Func, Memory, Table, Global]

_KINDS: Dict[type, Any] = {
    WasmFunction: Func._of, HostFunction: Func._of, MemoryInstance: Memory._of,
    TableInstance: Table._of, GlobalInstance: Global._of,
}  # fmt: skip


def wrap(store: "Store", obj: Any) -> Extern:
    """A new API object for run-time object ``obj`` (use ``Store._wrap``, which keeps it)."""
    return _KINDS[type(obj)](store, obj)  # type: ignore[no-any-return]


def runtime_of(e: Extern) -> Any:
    """The run-time object behind an API object."""
    if isinstance(e, Func):
        return e._function
    if isinstance(e, Memory):
        return e._memory
    if isinstance(e, Table):
        return e._table
    return e._global
