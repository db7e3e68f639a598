"""SIMD build against scalar build of the same C program, under wasmlite.

tests/programs/simd/kernels.c is built twice (``build.sh`` there): with
``-msimd128`` (auto-vectorised: v128 loads, lane arithmetic, shuffles) and
without. This times the same calls (``simd_kernels.script``, every kernel over
all 4096 elements) on both builds, in tier 0 and in tier 1, and prints per kernel
and in total the scalar time over the SIMD time (above 1: the SIMD build is
faster here). Figures are recorded in benchmarks/NOTES.md.

Run: ``python -m benchmarks.simd [--repeat K]`` (also under PyPy).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "programs", "simd"))
os.environ["WASMLITE_CACHE_DIR"] = ""  # measure compiling too little to matter, never a stale cache

import simd_kernels  # noqa: E402

from wasmlite import Module, engine  # noqa: E402
from wasmlite.engine import codegen, interp  # noqa: E402
from wasmlite.runtime import WasmFunction  # noqa: E402
from wasmlite.runtime.instantiate import instantiate  # noqa: E402


def time_build(path: str, tier: int, repeat: int) -> Dict[str, float]:
    """Best-of-``repeat`` seconds per kernel (summed when a kernel runs twice)."""
    interp.TIER = "0"
    inst = instantiate(Module.from_file(path).syntax, [], engine.call)
    if tier:
        for f in inst.funcs:
            if isinstance(f, WasmFunction):
                f.compiled = codegen.tier1(f)
    calls = simd_kernels.script(simd_kernels.N)
    best: Dict[str, List[float]] = {}
    for _ in range(repeat):
        engine.call(inst.exports["init"], [1])
        run: Dict[str, float] = {}
        for name, args in calls:
            t = time.perf_counter()
            engine.call(inst.exports[name], list(args))
            run[name] = run.get(name, 0.0) + time.perf_counter() - t
        for name, s in run.items():
            best.setdefault(name, []).append(s)
    return {name: min(v) for name, v in best.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"{sys.implementation.name} {sys.version.split()[0]}, n = {simd_kernels.N}, best of {args.repeat}")
    for tier in (0, 1):
        simd = time_build(simd_kernels.SIMD_WASM, tier, args.repeat)
        scalar = time_build(simd_kernels.SCALAR_WASM, tier, args.repeat)
        print(f"\ntier {tier}: {'kernel':12} {'scalar ms':>10} {'simd ms':>10} {'scalar/simd':>12}")
        for name in simd:
            print(f"        {name:12} {scalar[name] * 1e3:10.2f} {simd[name] * 1e3:10.2f} "
                  f"{scalar[name] / simd[name]:12.2f}")
        total_scalar, total_simd = sum(scalar.values()), sum(simd.values())
        print(f"        {'total':12} {total_scalar * 1e3:10.2f} {total_simd * 1e3:10.2f} "
              f"{total_scalar / total_simd:12.2f}")


if __name__ == "__main__":
    main()
