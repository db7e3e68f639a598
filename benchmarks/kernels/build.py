"""Rebuild the C kernels: ``python -m benchmarks.kernels.build``.

Each ``NAME.c`` here (with ``libc.c``) becomes ``NAME.wasm``, freestanding: no WASI, no
imports, one export ``run(n) -> checksum``. The script refuses a result that imports
anything. It then refreshes ``benchmarks/expected.json`` (see ``benchmarks.expected``).
"""

from __future__ import annotations

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FLAGS = ["--target=wasm32-wasi", "-O2", "-nostdlib", "-fno-builtin-memset", "-fno-builtin-memcpy",
         "-fno-builtin-strlen",
         "-Wl,--no-entry", "-Wl,--export=run", "-Wl,--strip-all"]


def kernel_sources() -> list:
    return sorted(f[:-2] for f in os.listdir(HERE) if f.endswith(".c") and f != "libc.c")


def build(name: str) -> str:
    out = os.path.join(HERE, name + ".wasm")
    cmd = [sys.executable, "-m", "ziglang", "cc", *FLAGS, os.path.join(HERE, name + ".c"),
           os.path.join(HERE, "libc.c"), "-o", out]
    subprocess.run(cmd, check=True)
    text = subprocess.run(["wasm-tools", "print", out], check=True, capture_output=True, text=True).stdout
    if "(import " in text:
        raise SystemExit(f"{name}.wasm imports something: the kernels must be freestanding")
    return out


def main() -> None:
    for name in kernel_sources():
        path = build(name)
        print(f"built {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")
    from benchmarks import expected

    expected.refresh()


if __name__ == "__main__":
    main()
