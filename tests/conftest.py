"""Shared test fixtures: where the WebAssembly spec test suite lives."""

from __future__ import annotations

import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The suite is read in place from ../shared (never copied into the project);
# WASMLITE_TESTSUITE names the directory that holds wasm-2.0/ and wasm-3.0/.
TESTSUITE = os.environ.get("WASMLITE_TESTSUITE") or os.path.join(
    os.path.dirname(REPO), "shared", "wasm-testsuite"
)


def to_tier1(inst) -> None:  # type: ignore[no-untyped-def]
    """Compile every function defined by instance ``inst`` to tier 1 now."""
    from wasmlite.engine import codegen
    from wasmlite.runtime import WasmFunction

    for f in inst.funcs:
        if isinstance(f, WasmFunction) and f.instance is inst:
            t = codegen.tier1(f)
            assert t is not None
            f.compiled = t


def build_tree(path: str, tree: dict) -> None:  # type: ignore[type-arg]
    """Write a nested dict tree (bytes = file, dict = directory, ``Symlink``) under
    ``path``: the on-disk twin of an in-memory WASI preopen."""
    from wasmlite.wasi import Symlink

    os.makedirs(path, exist_ok=True)
    for name, value in tree.items():
        full = os.path.join(path, name)
        if isinstance(value, Symlink):
            os.symlink(value.target, full)
        elif isinstance(value, dict):
            build_tree(full, value)
        else:
            with open(full, "wb") as f:
                f.write(value)


@pytest.fixture(autouse=True)
def keep_generated(monkeypatch):  # type: ignore[no-untyped-def]
    """Tests look at the source tier 1 generated, which the engine drops by default."""
    from wasmlite.engine import codegen

    monkeypatch.setattr(codegen, "KEEP_GENERATED", True)
