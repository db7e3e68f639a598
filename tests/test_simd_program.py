"""A C program compiled with ``-msimd128 -O3`` (tests/programs/simd/kernels.c:
auto-vectorised byte, integer and float kernels) runs in wasmlite exactly as in
wasmtime: the same return values and the same final memory, in both tiers. The
same program built without SIMD must agree too (its kernels compute the same
values; only the memory layout may differ)."""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, Tuple

import pytest

from conftest import REPO, to_tier1
from wasmlite import Module, engine
from wasmlite.decode.body import read_instr, read_locals
from wasmlite.engine import cache, interp
from wasmlite.opcodes import PREFIX_FD
from wasmlite.runtime.instantiate import instantiate
from wasmlite.syntax import I32, I64

sys.path.insert(0, os.path.join(REPO, "tests", "programs", "simd"))
import simd_kernels  # noqa: E402

SEED = 12345
Outcome = Tuple[List[Any], bytes]


@pytest.fixture(autouse=True)
def no_disk_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMLITE_CACHE_DIR", "")
    monkeypatch.setattr(interp, "TIER", "0")
    cache.clear_memory()


def _calls(n: int) -> List[Tuple[str, List[Any]]]:
    return [("init", [SEED])] + simd_kernels.script(n) + [("checksum", [])]


def _wasmlite(path: str, tier: int, n: int) -> Outcome:
    module = Module.from_file(path).syntax
    inst = instantiate(module, [], engine.call)
    if tier:
        to_tier1(inst)
    results = []
    for name, args in _calls(n):
        f = inst.exports[name]
        out = engine.call(f, list(args))
        results.append(out[0] & 0xFFFFFFFFFFFFFFFF if out else None)  # i32 or i64 bits, either i64 form
    return results, bytes(inst.exports["memory"].data)


def _wasmtime(path: str, n: int) -> Outcome:
    wasmtime = pytest.importorskip("wasmtime")
    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module.from_file(store.engine, path), [])
    exports = inst.exports(store)
    module = Module.from_file(path).syntax
    widths: Dict[str, int] = {}
    for e in module.exports:
        ft = module.types[module.funcs[e.index]] if e.kind == 0 else None
        if ft is not None and ft.results:
            widths[e.name] = {I32: 32, I64: 64}[ft.results[0]]
    results = []
    for name, args in _calls(n):
        r = exports[name](store, *args)
        results.append(None if r is None else r & ((1 << widths[name]) - 1))
    mem = exports["memory"]
    return results, bytes(mem.read(store, 0, mem.data_len(store)))


@pytest.mark.parametrize("n", [simd_kernels.N, 37])
def test_simd_build_agrees_with_wasmtime(n: int) -> None:
    reference = _wasmtime(simd_kernels.SIMD_WASM, n)
    for tier in (0, 1):
        results, memory = _wasmlite(simd_kernels.SIMD_WASM, tier, n)
        assert results == reference[0], f"tier {tier}"
        assert memory == reference[1], f"tier {tier}"


def test_scalar_build_computes_the_same() -> None:
    n = simd_kernels.N
    simd_results = _wasmtime(simd_kernels.SIMD_WASM, n)[0]
    results, memory = _wasmlite(simd_kernels.SCALAR_WASM, 0, n)
    assert results == simd_results
    assert memory == _wasmtime(simd_kernels.SCALAR_WASM, n)[1]


def _fd_instructions(path: str) -> int:
    """How many 0xFD-prefixed (SIMD) instructions the module's code holds."""
    module = Module.from_file(path).syntax
    count = 0
    for body in module.codes:
        _, pos = read_locals(body)
        while pos < body.end:
            op, _, pos = read_instr(body.source, pos, body.end)
            count += op.prefix == PREFIX_FD
    return count


def test_builds_are_what_they_say() -> None:
    """The SIMD build really runs on v128 instructions; the scalar build has none."""
    assert _fd_instructions(simd_kernels.SIMD_WASM) > 100
    assert _fd_instructions(simd_kernels.SCALAR_WASM) == 0
