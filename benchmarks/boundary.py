"""The cost of crossing the boundary, wasmlite beside pwasm and wasmtime-py, in one run.

    python -m benchmarks.boundary [--calls N] [--repeat R]

* **in**: Python calling a trivial export, ``add(i, 2)`` (i32, i32) -> i32, N times
  from a Python loop (the loop's own cost included, the same for everyone);
* **out**: a wasm loop calling an imported Python function ``h(x) = x + 1`` N times
  (the wasm loop's own few instructions included).

Prints microseconds per call (best of R) and each runtime's time relative to
wasmlite's. Every runtime is warmed up first, so wasmlite runs its tier-1 code.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from typing import Callable, Dict, Optional, Tuple

from wasmlite.text import wat2wasm

WAT = """(module
  (import "env" "h" (func $h (param i32) (result i32)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "host_loop") (param i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (call $h (local.get $i)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
    (local.get $i)))"""

Setup = Tuple[Callable[[int, int], int], Callable[[int], int]]


def h(x: int) -> int:
    return x + 1


def wasmlite_setup(binary: bytes) -> Setup:
    import wasmlite

    linker = wasmlite.Linker()
    i32 = wasmlite.ValType.i32()
    linker.define_func("env", "h", wasmlite.FuncType([i32], [i32]), h)
    exports = linker.instantiate(wasmlite.Store(), wasmlite.Module(binary)).exports
    return exports.add, exports.host_loop


def pwasm_setup(binary: bytes) -> Optional[Setup]:
    try:
        import pwasm
    except ImportError:
        return None
    inst = pwasm.instantiate(pwasm.decode_module(binary), {"env": {"h": h}})
    return inst.exports.add, inst.exports.host_loop


def wasmtime_setup(binary: bytes) -> Optional[Setup]:
    try:
        import wasmtime
    except ImportError:
        return None
    store = wasmtime.Store()
    linker = wasmtime.Linker(store.engine)
    i32 = wasmtime.ValType.i32()
    linker.define_func("env", "h", wasmtime.FuncType([i32], [i32]), h)
    inst = linker.instantiate(store, wasmtime.Module(store.engine, binary))
    add, loop = inst.exports(store)["add"], inst.exports(store)["host_loop"]
    return (lambda a, b: add(store, a, b)), (lambda n: loop(store, n))  # type: ignore[operator]


def measure(setup: Setup, calls: int, repeat: int) -> Tuple[float, float]:
    """Best-of-``repeat`` microseconds per call in and per host call out."""
    add, host_loop = setup
    for i in range(2000):  # warm up: tier-up, caches
        add(i, 2)
    host_loop(2000)
    best_in = best_out = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i in range(calls):
            add(i, 2)
        best_in = min(best_in, time.perf_counter() - t0)
        t0 = time.perf_counter()
        assert host_loop(calls) == calls
        best_out = min(best_out, time.perf_counter() - t0)
    return best_in / calls * 1e6, best_out / calls * 1e6


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    binary = wat2wasm(WAT)
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"{args.calls} calls, best of {args.repeat}")
    results: Dict[str, Tuple[float, float]] = {}
    for name, setup in (("wasmlite", wasmlite_setup), ("pwasm", pwasm_setup), ("wasmtime-py", wasmtime_setup)):
        s = setup(binary)
        if s is None:
            print(f"{name:12} not installed")
            continue
        results[name] = measure(s, args.calls, args.repeat)
    base_in, base_out = results["wasmlite"]
    print(f"{'runtime':12} {'in us/call':>11} {'vs wasmlite':>12} {'out us/call':>12} {'vs wasmlite':>12}")
    for name, (t_in, t_out) in results.items():
        print(f"{name:12} {t_in:11.3f} {t_in / base_in:11.2f}x {t_out:12.3f} {t_out / base_out:11.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
