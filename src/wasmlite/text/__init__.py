"""The WebAssembly text format: WAT modules (``parse_module``, ``wat2wasm``) and WAST
scripts (``wast.parse_script``)."""

from __future__ import annotations

from .. import encode
from .parser import parse_module

__all__ = ["parse_module", "wat2wasm"]


def wat2wasm(source: str) -> bytes:
    """Compile WAT text to a binary module."""
    return encode.module(parse_module(source))
