"""How big the register IR is next to the wasm it comes from, on real modules.

    python -m benchmarks.ir_size

For every defined function of each module (from installed wheels, see
``wheels.py``) counts the wasm instructions and the IR instructions the
translator makes of them; providers (``local.get``, constants) vanish, so the
ratio is the static share of dispatches left. Also reports translation speed.
"""

from __future__ import annotations

import platform
import sys
import time
from typing import List, Optional

from wasmlite import syntax
from wasmlite.decode import decode_module
from wasmlite.decode.body import read_instr, read_locals
from wasmlite.translate import translate_function
from wasmlite.validate.code import FuncValidator

from .wheels import wheel_wasm_files


def wasm_instruction_count(body: syntax.FuncBody) -> int:
    _, pos = read_locals(body)
    n = 0
    while pos < body.end:
        _, _, pos = read_instr(body.source, pos, body.end)
        n += 1
    return n


def main(argv: Optional[List[str]] = None) -> int:
    files = wheel_wasm_files()
    if not files:
        print("no .wasm files found: pip install -e '.[bench]'", file=sys.stderr)
        return 1
    print(f"{platform.python_implementation()} {platform.python_version()}")
    print(f"{'module':44} {'funcs':>6} {'wasm instrs':>12} {'IR instrs':>10} {'IR/wasm':>8} {'untranslated':>12} {'translate':>10}")
    for label, path in files:
        with open(path, "rb") as f:
            module = decode_module(f.read())
        validator = FuncValidator(module)
        first = len(module.imports_of(syntax.EXTERN_FUNC))
        wasm = ir = skipped = 0
        elapsed = 0.0
        for i, body in enumerate(module.codes):
            t0 = time.perf_counter()
            try:
                fn = translate_function(module, first + i, validator)
            except NotImplementedError:  # SIMD, until issue 4
                skipped += 1
                continue
            finally:
                elapsed += time.perf_counter() - t0
            ir += len(fn.code)
            wasm += wasm_instruction_count(body)
        print(f"{label:44} {len(module.codes):6} {wasm:12,} {ir:10,} {ir / wasm:8.2f} {skipped:12} {elapsed:9.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
