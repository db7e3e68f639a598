"""``Linker``: names for imports, so that ``instantiate`` can find each by its
module and name. Definitions are store-independent where they can be (host
functions from Python callables); API objects belong to their store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Union

from ..errors import LinkError
from ..module import Module, Source
from ..types import FuncType
from .externs import Extern, Func, Global, HostDef, Memory, Table
from .instance import Import, Instance

if TYPE_CHECKING:
    from ..wasi import Wasi, WasiConfig
    from .store import Store

__all__ = ["Linker"]


class Linker:
    """Definitions by ``(module, name)``, used to instantiate modules.

    Defining a name twice raises ``LinkError`` unless ``allow_shadowing`` is set.
    """

    def __init__(self) -> None:
        self.allow_shadowing = False
        """Whether a definition may replace an earlier one of the same name."""
        self._defs: Dict[Tuple[str, str], Import] = {}
        self._wasi: Optional["WasiConfig"] = None

    def _put(self, module: str, name: str, item: Import) -> None:
        if not isinstance(module, str) or not isinstance(name, str):
            raise TypeError("module and name must be str")
        if (module, name) in self._defs and not self.allow_shadowing:
            raise LinkError(f"{module!r} {name!r} is already defined")
        self._defs[(module, name)] = item

    def define(self, module: str, name: str, item: Extern) -> None:
        """Define ``module`` ``name`` as a ``Func``, ``Memory``, ``Table`` or ``Global``."""
        if not isinstance(item, (Func, Memory, Table, Global)):
            raise TypeError(f"cannot define {item!r}: not a Func, Memory, Table or Global")
        self._put(module, name, item)

    def define_func(self, module: str, name: str, type: Optional[FuncType], fn: Callable[..., Any],
                    access_caller: bool = False, raw: bool = False) -> None:
        """Define a host function from a Python callable, of ``type`` (or, when it is
        None, of the type ``fn``'s annotations say: see ``functype_from_annotations``).

        With ``access_caller`` the callable gets a ``Caller`` (the calling instance's
        exports and memory) before the wasm arguments; with ``raw`` f32/f64
        arguments arrive as ``F32Bits``/``F64Bits``.
        """
        self._put(module, name, HostDef(fn, type, access_caller, raw))

    def define_instance(self, name: str, instance: Instance) -> None:
        """Define every export of ``instance`` under module name ``name``."""
        for export in instance.exports:
            self._put(name, export, instance.exports[export])

    def define_wasi(self, config: Optional["WasiConfig"] = None) -> None:
        """Define the WASI preview 1 functions (module ``wasi_snapshot_preview1``) for
        programs configured by ``config`` (a ``WasiConfig``; None: no arguments,
        environment or directories, stdio inherited). Each instance gets its own WASI
        state (descriptors, captured output): ``Instance.wasi``. Names defined
        otherwise in the linker take precedence."""
        from ..wasi import WasiConfig  # (WASI is imported when first asked for)

        self._wasi = config if config is not None else WasiConfig()

    def instantiate(self, store: "Store", module: Union[Module, Source]) -> Instance:
        """Instantiate ``module`` (a ``Module``, or its binary or text) in ``store``
        with this linker's definitions. Raises ``LinkError`` naming an import that
        is not defined."""
        if not isinstance(module, Module):
            module = Module(module)
        items: List[Import] = []
        wasi: Optional["Wasi"] = None
        provided: Dict[str, Any] = {}
        if self._wasi is not None:
            from .. import wasi as wasi_package
        for imp in module.syntax.imports:
            item = self._defs.get((imp.module, imp.name))
            if item is None and self._wasi is not None and imp.module == wasi_package.MODULE:
                if wasi is None:
                    wasi = wasi_package.Wasi(self._wasi)
                    provided = wasi.imports()
                function = provided.get(imp.name)
                if function is not None:
                    item = store._wrap(function)
            if item is None:
                raise LinkError(f"unknown import: {imp.module!r} {imp.name!r} is not defined in the linker")
            items.append(item)
        instance = Instance.__new__(Instance)
        instance._instantiate(store, module, items, wasi)
        return instance
