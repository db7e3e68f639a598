"""The validator: decides whether a decoded module is valid WebAssembly 2.0.

``validate_module`` checks a whole module eagerly, every function body included;
``code.FuncValidator`` is the streaming body checker; the translator trusts a
module it has passed (``syntax.Module.validated``) and only validates a body
itself when nobody has.
"""

from __future__ import annotations

from .code import Frame, FuncValidator
from .module import validate_module

__all__ = ["Frame", "FuncValidator", "validate_module"]
