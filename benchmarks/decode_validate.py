"""Decode + validate throughput on real modules, wasmlite beside wasmtime.

    python -m benchmarks.decode_validate [--repeat N]

Prints, per module, the best-of-N time to decode and validate it and the code
section throughput in MB/s, with wasmtime's ``Module.validate`` on the same bytes
as the reference, and saves the table as JSON under ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Callable, Dict, List, Optional

from wasmlite.decode import decode_module
from wasmlite.validate import validate_module

from .wheels import wheel_wasm_files

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def wasmtime_validator() -> Optional[Callable[[bytes], object]]:
    try:
        import wasmtime
    except ImportError:
        return None
    engine = wasmtime.Engine()
    return lambda data: wasmtime.Module.validate(engine, data)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    files = wheel_wasm_files()
    if not files:
        print("no .wasm files found: pip install -e '.[bench]'", file=sys.stderr)
        return 1
    reference = wasmtime_validator()
    rows: List[Dict[str, object]] = []
    header = f"{'module':42} {'size':>9} {'code':>9} {'decode':>8} {'validate':>9} {'MB/s':>6} {'wasmtime':>9} {'ratio':>7}"
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, best of {args.repeat}")
    print(header)
    for n, (label, path) in enumerate(files, 1):
        print(f"  [{n}/{len(files)}] {label} ...", end="\r", file=sys.stderr, flush=True)
        with open(path, "rb") as f:
            data = f.read()
        module = decode_module(data)
        code_bytes = sum(c.end - c.start for c in module.codes)
        t_decode = best_of(args.repeat, lambda: decode_module(data))
        t_validate = best_of(args.repeat, lambda: validate_module(decode_module(data))) - t_decode
        total = t_decode + t_validate
        mbps = code_bytes / total / 1e6
        t_ref = best_of(args.repeat, lambda: reference(data)) if reference else None
        ratio = f"{total / t_ref:7.0f}x" if t_ref else "      -"
        ref = f"{t_ref * 1000:7.1f}ms" if t_ref else "        -"
        print(
            f"{label:42} {len(data):9,} {code_bytes:9,} {t_decode * 1000:6.1f}ms {t_validate * 1000:7.1f}ms "
            f"{mbps:6.2f} {ref} {ratio}"
        )
        rows.append(dict(module=label, size=len(data), code_bytes=code_bytes, decode_s=t_decode,
                         validate_s=t_validate, code_mb_per_s=mbps, wasmtime_validate_s=t_ref))
    total_code = sum(r["code_bytes"] for r in rows)  # type: ignore[misc]
    total_time = sum(r["decode_s"] + r["validate_s"] for r in rows)  # type: ignore[operator]
    print(f"overall: {total_code / total_time / 1e6:.2f} MB of code per second (decode + validate)")
    os.makedirs(RESULTS, exist_ok=True)
    out = os.path.join(RESULTS, f"decode_validate-{platform.python_implementation().lower()}.json")
    with open(out, "w") as f:
        json.dump(dict(python=sys.version, machine=platform.machine(), cores=os.cpu_count(),
                       date=time.strftime("%Y-%m-%d"), rows=rows), f, indent=1)
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
