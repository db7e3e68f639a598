"""The validator: decides whether a decoded module is valid WebAssembly 2.0.

``validate_module`` checks a whole module eagerly, every function body included;
``code.FuncValidator`` is the streaming body checker a translator can ride on
(see ``wasmlite.validate.code`` for its hook contract).
"""

from __future__ import annotations

from .code import Frame, FuncValidator
from .module import validate_module

__all__ = ["Frame", "FuncValidator", "validate_module"]
