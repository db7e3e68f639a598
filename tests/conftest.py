"""Shared test fixtures: where the WebAssembly spec test suite lives."""

from __future__ import annotations

import os

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
