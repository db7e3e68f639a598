"""The embedding API: ``Store``, ``Linker``, ``Instance`` and the objects they hold.

One job per module: ``values`` (how values cross the boundary), ``boundary`` (the
generated call paths), ``store`` (the store and its limits), ``externs`` (``Func``,
``Memory``, ``Table``, ``Global``, ``Caller``), ``instance``, ``linker``. Everything
public is re-exported by the ``wasmlite`` package.
"""

from __future__ import annotations

from .externs import Caller, Func, Global, Memory, Table
from .instance import Exports, Instance
from .linker import Linker
from .store import Store
from .values import F32Bits, F64Bits

__all__ = [
    "Caller", "Exports", "F32Bits", "F64Bits", "Func", "Global", "Instance", "Linker", "Memory",
    "Store", "Table",
]
