"""Which callees tier 1 inlines: small straight-line leaves.

A wasm call in tier 1 is a Python call, and a Python call costs more than the
few numeric ops or loads of a small function (an accessor, ``a + b``). Such a
callee's IR is emitted in place of the call instead (by ``codegen``). Only
bodies that cannot branch or call qualify: they run top to bottom, so their
statements fit anywhere a call does, need no control flow of their own and
keep the order of every trap. The decision depends on the module alone, so
code compiled with it stays valid in the disk cache.
"""

from __future__ import annotations

from typing import Dict, List, Optional

from .. import syntax
from ..ir import IRFunction
from ..translate import translate_function
from ..validate.code import FuncValidator

MAX_BODY_BYTES = 48
"""Encoded body size above which a callee is not even translated to be looked at."""

MAX_INSTRUCTIONS = 12
"""IR instructions a callee may have to be inlined (``calls``' leaves have 1-2,
accessors 1-4): past a few the call's cost is a small part of the callee's."""



def _inlinable(ir: IRFunction) -> bool:
    return len(ir.code) <= MAX_INSTRUCTIONS and not any(
        ins.is_branch() or ins.op in ("call", "call_indirect") for ins in ir.code)


def function_types(module: syntax.Module) -> List[syntax.FuncType]:
    """The type of each function of ``module``, imports first (what a call returns)."""
    return [module.types[t] for t in module.func_types()]


class Inliner:
    """The IR of the callees of one module's functions that may be inlined
    (``body``), each translated once (keep one per instance)."""

    def __init__(self, module: syntax.Module, validator: Optional[FuncValidator] = None) -> None:
        self.module = module
        self.validator = validator
        self.nimported = len(module.imports_of(syntax.EXTERN_FUNC))
        self.bodies: Dict[int, Optional[IRFunction]] = {}
        self.ftypes: Optional[List[syntax.FuncType]] = None

    def function_types(self) -> List[syntax.FuncType]:
        """``function_types`` of the module, built once for all its functions (a
        validated module does not change; graphviz's list took ~100 us a compile)."""
        if self.ftypes is None:
            self.ftypes = function_types(self.module)
        return self.ftypes

    def body(self, func_index: int) -> Optional[IRFunction]:
        """The IR of function ``func_index`` if a call of it may be inlined, else None."""
        if func_index in self.bodies:
            return self.bodies[func_index]
        ir = None
        k = func_index - self.nimported
        if k >= 0:
            code = self.module.codes[k]
            if code.end - code.start <= MAX_BODY_BYTES:
                if self.validator is None:
                    self.validator = FuncValidator(self.module)
                ir = translate_function(self.module, func_index, self.validator)
                if not _inlinable(ir):
                    ir = None
        self.bodies[func_index] = ir
        return ir
