"""``Instance``: a module instantiated in a store, and its ``Exports``.

Instantiation itself is ``runtime.instantiate``; this module turns API objects into
the run-time imports (binding caller-taking host functions to the new instance),
enforces the store's memory cap before anything is allocated, and runs the start
function under the store's limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional, Sequence, Union

from .. import engine, syntax
from ..errors import LinkError
from ..module import Module
from ..runtime.instantiate import instantiate
from ..runtime.objects import PAGE_SIZE, ModuleInstance
from .externs import Caller, Extern, Func, Global, HostDef, Memory, Table, runtime_of

if TYPE_CHECKING:
    from ..wasi import Wasi
    from .store import Store

__all__ = ["Exports", "Instance", "Import"]

Import = Union[Extern, HostDef]
"""What satisfies an import: an API object of the store, or a host function definition."""


class Exports:
    """An instance's exports by name: ``exports.NAME`` or ``exports["NAME"]`` (for any
    name); ``"NAME" in exports``, ``len(exports)`` and iteration over the names work too."""

    def __init__(self, items: Dict[str, Extern]) -> None:
        self.__dict__.update(items)
        self.__dict__["_Exports__names"] = list(items)

    def __getitem__(self, name: str) -> Extern:
        if name not in self.__names:
            raise KeyError(f"no export named {name!r}")
        return self.__dict__[name]  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:  # only reached for names not exported
        raise AttributeError(f"no export named {name!r}")

    def __contains__(self, name: object) -> bool:
        return name in self.__names

    def __iter__(self) -> Iterator[str]:
        return iter(self.__names)

    def __len__(self) -> int:
        return len(self.__names)

    def __repr__(self) -> str:
        return f"<Exports {', '.join(self.__names)}>"


class Instance:
    """A module instantiated in a store: ``Instance(store, module, imports)`` with the
    imports in the module's order (``Linker.instantiate`` finds them by name).

    Raises ``LinkError`` when an import is missing, of the wrong type or of another
    store, or when the module's memories would pass the store's ``max_memory``;
    ``Trap`` when a segment does not fit or the start function traps.

    ``wasi`` is the instance's WASI state (``wasmlite.wasi.Wasi``) when a linker with
    ``define_wasi`` made it, else None: with ``WasiConfig(stdout="capture")``,
    ``instance.wasi.stdout_bytes()`` is what the program wrote.
    """

    def __init__(self, store: "Store", module: Module, imports: Sequence[Import]) -> None:
        self._instantiate(store, module, imports, None)

    def _instantiate(self, store: "Store", module: Module, imports: Sequence[Import], wasi: Optional["Wasi"]) -> None:
        self.wasi = wasi
        self.store = store
        self.module = module
        self.exports: Exports = Exports({})
        self._runtime: Optional[ModuleInstance] = None
        if len(imports) != len(module.syntax.imports):
            raise LinkError(f"the module has {len(module.syntax.imports)} imports, {len(imports)} given")
        caller = Caller(store)
        values = [_runtime_import(store, imp, item, caller) for imp, item in zip(module.syntax.imports, imports)]
        _check_memory_cap(store, module.syntax)
        first_memory = sum(1 for imp in module.syntax.imports if imp.kind == syntax.EXTERN_MEMORY)

        def allocated(inst: ModuleInstance) -> None:
            self._runtime = inst
            for mem in inst.mems[first_memory:]:
                store._adopt_memory(mem)
            self.exports = Exports({name: store._wrap(obj) for name, obj in inst.exports.items()})
            caller._instance = self
            if wasi is not None:
                wasi.bind(inst)  # before the start function, which may use WASI already

        meter = store._meter
        token = meter.enter() if meter is not None else None
        try:
            instantiate(module.syntax, values, engine.call, store.metered, allocated)
        finally:
            if meter is not None:
                meter.leave(token)
        store.instances.append(self)

    def __repr__(self) -> str:
        return f"<Instance {self.exports!r}>"


def _runtime_import(store: "Store", imp: syntax.Import, item: Import, caller: Caller) -> Any:
    where = f"import {imp.module!r} {imp.name!r}"
    if isinstance(item, HostDef):
        return item.function(store, caller)
    if not isinstance(item, (Func, Memory, Table, Global)):
        raise LinkError(f"{where}: {item!r} is not a Func, Memory, Table or Global")
    if item.store is not store:
        raise LinkError(f"{where}: {item!r} belongs to another store")
    if isinstance(item, Func) and item._host is not None and item._host.access_caller:
        return item._host.function(store, caller)  # bound to this instance
    return runtime_of(item)


def _check_memory_cap(store: "Store", module: syntax.Module) -> None:
    if store.max_memory is None:
        return
    needed = sum(m.limits.min for m in module.mems) * PAGE_SIZE
    used = store.memory_used()
    if used + needed > store.max_memory:
        raise LinkError(f"the module's memories need {needed} bytes and the store holds {used} already: "
                        f"over its max_memory of {store.max_memory} bytes")
