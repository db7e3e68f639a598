"""Random modules from ``wasm-tools smith``, restricted to WebAssembly 2.0.

smith turns seed bytes into a module deterministically, so a ``random.Random``
seed reproduces a whole run. A share of the modules are asked to carry invalid
function bodies (raw seed bytes), over-long LEB128 encodings or custom sections,
which valid-by-construction output would never exercise.
"""

from __future__ import annotations

import random
import subprocess
from typing import List, NamedTuple, Optional, Tuple

from .oracle import wasm_tools

# Everything newer than 2.0 off; several tables are fine with reference types.
SMITH_2_0 = [
    "--simd-enabled", "true",
    "--bulk-memory-enabled", "true",
    "--reference-types-enabled", "true",
    "--multi-value-enabled", "true",
    "--saturating-float-to-int-enabled", "true",
    "--sign-extension-ops-enabled", "true",
    "--exceptions-enabled", "false",
    "--gc-enabled", "false",
    "--tail-call-enabled", "false",
    "--threads-enabled", "false",
    "--shared-everything-threads-enabled", "false",
    "--relaxed-simd-enabled", "false",
    "--memory64-enabled", "false",
    "--custom-page-sizes-enabled", "false",
    "--custom-descriptors-enabled", "false",
    "--compact-imports-enabled", "false",
    "--wide-arithmetic-enabled", "false",
    "--extended-const-enabled", "false",
    "--max-memories", "1",
]


def smith_args(rng: random.Random) -> List[str]:
    """The 2.0 configuration plus a random choice of stress options."""
    args = list(SMITH_2_0) + ["--max-tables", str(rng.choice([1, 4, 10]))]
    if rng.random() < 0.3:
        args += ["--allow-invalid-funcs", "true"]
    if rng.random() < 0.2:
        args += ["--min-uleb-size", str(rng.randint(2, 5))]
    if rng.random() < 0.3:
        args += ["--generate-custom-sections", "true"]
    if rng.random() < 0.5:
        args += ["--min-funcs", str(rng.randint(1, 20)), "--min-types", str(rng.randint(1, 5))]
    if rng.random() < 0.2:
        args += ["--max-instructions", str(rng.choice([1000, 5000]))]
    if rng.random() < 0.3:
        args += ["--min-memories", "1"]
    if rng.random() < 0.2:
        args += ["--min-element-segments", "2", "--min-data-segments", "2"]
    if rng.random() < 0.2:
        args += ["--export-everything", "true"]
    if rng.random() < 0.2:
        args += ["--min-imports", str(rng.randint(1, 10))]
    if rng.random() < 0.1:  # only a few kinds of instructions, so each gets more use
        kinds = ["numeric", "vector", "reference", "parametric", "variable", "table", "memory", "control"]
        args += ["--allowed-instructions", ",".join(rng.sample(kinds, rng.randint(1, 3)))]
    return args


def smith(seed_bytes: bytes, args: List[str]) -> Optional[bytes]:
    """One module from ``seed_bytes``, or None when smith gives up on the seed."""
    proc = subprocess.run(
        [wasm_tools(), "smith", *args, "-o", "/dev/stdout"],
        input=seed_bytes,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    if proc.returncode != 0:
        if proc.returncode == 2:  # documented: "failed to generate from this seed"
            return None
        raise RuntimeError(f"wasm-tools smith failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def random_module(rng: random.Random) -> Optional[bytes]:
    size = rng.choice([64, 512, 2048, 8192, 32768])
    seed_bytes = bytes(rng.getrandbits(8) for _ in range(size))
    return smith(seed_bytes, smith_args(rng))


def wasm_mutate(data: bytes, seed: int) -> Optional[bytes]:
    """One ``wasm-tools mutate`` step (semantics-preserving or not), or None if it
    cannot mutate this module."""
    proc = subprocess.run(
        [wasm_tools(), "mutate", "--seed", str(seed), "-o", "/dev/stdout", "-"],
        input=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=60,
    )
    if proc.returncode != 0:
        return None
    return proc.stdout


def exec_smith_args(rng: random.Random, simd: bool, fuel: int) -> Tuple[List[str], bool]:
    """A configuration for differential execution: terminating (``fuel`` loop
    iterations and calls), import-free, everything exported (so memories, globals
    and tables can be compared), memory bounded; the bool says whether NaNs are
    canonicalised (bit-exact comparison)."""
    exact = rng.random() < 0.8
    args = list(SMITH_2_0)
    args[args.index("--simd-enabled") + 1] = str(simd).lower()
    args += [
        "--ensure-termination", "--fuel", str(fuel),
        "--max-imports", "0",
        "--export-everything", "true",
        "--canonicalize-nans", str(exact).lower(),
        "--memory-max-size-required", "true",
        "--max-memory32-bytes", str(rng.choice([1, 2, 16]) * 65536),
        "--max-table-elements", "1000", "--table-max-size-required", "true",
        "--max-tables", str(rng.choice([1, 2, 4])),
    ]
    if rng.random() < 0.25:
        args += ["--disallow-traps", "true"]
    args += ["--min-funcs", str(rng.randint(1, 10)), "--max-instructions", str(rng.choice([100, 1000, 5000]))]
    if rng.random() < 0.5:
        args += ["--min-memories", "1", "--min-data-segments", "1"]
    if rng.random() < 0.2:
        args += ["--min-element-segments", "2", "--min-tables", "1"]
    if rng.random() < 0.15:  # only a few kinds of instructions, so each gets more use
        kinds = ["numeric", "reference", "parametric", "variable", "table", "memory", "control"]
        if simd:
            kinds.append("vector")
        args += ["--allowed-instructions", ",".join(rng.sample(kinds, rng.randint(2, 4)) + ["control"])]
    return args, exact


class ExecModule(NamedTuple):
    data: Optional[bytes]  # None when smith gave up on the seed
    exact: bool  # NaNs canonicalised: compare bit for bit
    fuel: int
    args: List[str]


def random_exec_module(rng: random.Random, simd: bool) -> ExecModule:
    """A smith module made with ``exec_smith_args``."""
    size = rng.choice([256, 1024, 4096, 16384, 65536])
    seed_bytes = rng.getrandbits(8 * size).to_bytes(size, "little")
    fuel = rng.choice([100, 1000, 10000])
    args, exact = exec_smith_args(rng, simd, fuel)
    return ExecModule(smith(seed_bytes, args), exact, fuel, args)
